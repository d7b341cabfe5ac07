using System.Text;
using System.Text.Json.Nodes;
using Backup.Core.Snapshots;
using Backup.Core.Pipeline;
using Backup.Providers.MySql;
using Backup.Providers.Tests.Servers;
using MySqlConnector;
using Xunit.Abstractions;

namespace Backup.Providers.Tests;

/// <summary>
/// A driver-only or parallel dump is data and definitions, never statements of someone else's choosing: a client that
/// may only add snapshots (it holds the repository key) must not get SQL of its own run on the server of whoever
/// restores or drills the snapshot. Each case alters a real snapshot as such a client could, and the restore must
/// refuse it while the other database on the server stays whole.
/// </summary>
public sealed class MySqlHostileDumpTests(MariaDbFixture fixture, ITestOutputHelper output) : IClassFixture<MariaDbFixture>
{
    /// <summary>Row statements a backup never writes, put in place of the first line of the items table's rows.</summary>
    public static TheoryData<string, string, string> HostileRows => new()
    {
        { "a second statement", "INSERT INTO `items` (`id`, `name`) VALUES (100001,'a'); DROP DATABASE {victim};", "something follows the statement's end" },
        { "a second statement in a versioned comment", "INSERT INTO `items` (`id`, `name`) VALUES (100001,'a')/*!; DROP DATABASE {victim}*/;", "a row ends without a comma" },
        { "a quote that ends early", "INSERT INTO `items` (`id`, `name`) VALUES (100001,'a\\\\'); DROP DATABASE {victim}; -- ');", "something follows the statement's end" },
        { "a subquery", "INSERT INTO `items` (`id`, `name`) VALUES (100001,(SELECT secret FROM {victim}.secrets LIMIT 1));", "does not start a value a backup writes" },
        { "a function call", "INSERT INTO `items` (`id`, `name`) VALUES (100001,LOAD_FILE('/etc/passwd'));", "does not start a value a backup writes" },
        { "another database's table", "INSERT INTO `{victim}`.`secrets` (`secret`) VALUES ('x');", "is not a table this file holds" },
        { "another table of the dump", "INSERT INTO `notes` (`id`, `body`) VALUES (100001,'x');", "is not a table this file holds" },
        { "not an insert", "DROP DATABASE {victim};", "it is not an INSERT INTO" },
    };

    /// <summary>Manifest entries a backup never writes: the list, the entry's name, and its statement.</summary>
    public static TheoryData<string, string, string, string, string> HostileDefinitions => new()
    {
        { "a table with a second statement", "Tables", "items", "CREATE TABLE `items` (`id` int PRIMARY KEY, `name` varchar(20)) ENGINE=InnoDB; DROP DATABASE {victim}", "not one statement this server can parse" },
        { "a table filled from a query", "Tables", "items", "CREATE TABLE `items` (`id` int PRIMARY KEY, `name` varchar(20)) ENGINE=InnoDB SELECT 1 AS id, secret AS name FROM {victim}.secrets", "it refers to the database" },
        { "a table in another database", "Tables", "items", "CREATE TABLE `{victim}`.`items` (`id` int PRIMARY KEY, `name` varchar(20)) ENGINE=InnoDB", "it names the database" },
        { "a grant listed as a routine", "Routines", "touch", "GRANT ALL ON *.* TO 'intruder'@'%' IDENTIFIED BY 'x'", "it does not start with CREATE" },
        { "a routine with a statement after its body", "Routines", "touch", "CREATE PROCEDURE `touch`() BEGIN SELECT 1; END; DROP DATABASE {victim}", "not one statement this server can parse" },
        { "a trigger on another database", "Triggers", "stamp", "CREATE TRIGGER {victim}.stamp BEFORE INSERT ON {victim}.secrets FOR EACH ROW SET NEW.secret = 'x'", "it names the database" },
        { "a user created as an event", "Events", "tick", "CREATE USER 'intruder'@'%'", "it is a CREATE USER" },
        { "a view whose quote ends early under its own sql_mode", "Views", "items_view", "CREATE VIEW `items_view` AS SELECT '\\'; DROP DATABASE {victim}; -- ' AS x", "not one statement this server can parse" },
        { "a trigger put in another database through a comment", "Triggers", "stamp", "CREATE TRIGGER {victim}/**/.stamp BEFORE INSERT ON {victim}.secrets FOR EACH ROW SET NEW.secret = 'x'", "it names the database" },
        { "a table put in another database through a line comment", "Tables", "items", "CREATE TABLE {victim}#\n.items (`id` int PRIMARY KEY, `name` varchar(20)) ENGINE=InnoDB", "it names the database" },
        { "a query behind two dashes and a no-break space", "Tables", "items", "CREATE TABLE `items` (\u00a0 int, `id` int AS (1--\u00a0) VIRTUAL, `name` varchar(20)) SELECT 1 AS `name` FROM DUAL", "CREATE TABLE … SELECT" },
        { "a MERGE table over another database", "Tables", "items", "CREATE TABLE `items` (`id` int, `name` varchar(40)) ENGINE=MERGE UNION=(`{victim}`.`secrets`) INSERT_METHOD=LAST", "it refers to the database" },
        { "a key line that moves the table away", "Tables", "items", "CREATE TABLE `items` (\n  `id` int(11) NOT NULL,\n  `name` varchar(20) DEFAULT NULL,\n  PRIMARY KEY (`id`),\n  KEY `items_name` (`name`), RENAME TO `{victim}`.`items`\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4", "it refers to the database" },
        { "a default that moves another database's sequence", "Tables", "items", "CREATE TABLE `items` (`id` int PRIMARY KEY, `name` varchar(20), `s` bigint DEFAULT setval(`{victim}`.`seq`,1000000,1,0)) ENGINE=InnoDB", "it refers to the database" },
        { "a foreign key into another database", "Tables", "items", "CREATE TABLE `items` (\n  `id` int(11) NOT NULL,\n  `name` varchar(20) DEFAULT NULL,\n  PRIMARY KEY (`id`),\n  CONSTRAINT `fk` FOREIGN KEY (`name`) REFERENCES `{victim}`.`secrets` (`secret`)\n) ENGINE=InnoDB", "it refers to the database" },
        { "a quote in a versioned comment a server skips to its first end", "Tables", "items", "CREATE TABLE `items` (`id` int, `name` varchar(20)) /*!999999 ' */ ENGINE=MERGE UNION=(`{victim}`.`secrets`) INSERT_METHOD=LAST DEFAULT CHARSET=latin1 COMMENT '*/'", "a versioned comment in it is read differently" },
        { "a line comment in a versioned comment a server skips", "Tables", "items", "CREATE TABLE `items` (`id` int, `name` varchar(20)) /*!999999 # */ ENGINE=MyISAM DATA DIRECTORY='/tmp' /*!999999 \n */", "a versioned comment in it is read differently" },
        { "another database's object with a name of digits", "Tables", "items", "CREATE TABLE `items` (`id` int PRIMARY KEY, `name` varchar(20), `s` bigint DEFAULT setval({victim}.123, 2000000, 1, 0)) ENGINE=InnoDB", "it refers to the database" },
        { "a default that reads the server's settings", "Tables", "items", "CREATE TABLE `items` (`id` int PRIMARY KEY, `name` varchar(20), `leak` varchar(500) DEFAULT CONCAT_WS('|', @@hostname, @@datadir)) ENGINE=InnoDB", "it reads a variable" },
        { "key lines whose quotes pair differently once split", "Tables", "items", "CREATE TABLE `items` (\n  `id` int NOT NULL,\n  `name` varchar(20) DEFAULT NULL,\n  KEY `k1` (`id`) COMMENT '\n  `c` varchar(40) COMMENT 'x\n  KEY `k2` ' , RENAME TO `{victim}`.`items`\n  y'\n) ENGINE=InnoDB", "not one statement this server can parse" },
        { "a six-digit version that MariaDB reads and this check once did not", "Tables", "items", "CREATE TABLE `items` (`id` int, `name` varchar(40)) ENGINE=InnoDB /*!100000SELECT*/ 1 AS id, (/*!100000SELECT*/ secret FROM {victim}/*!100000.secrets*/ LIMIT 1) AS name", "a versioned comment in it is read differently" },
        { "rows from a table value constructor", "Tables", "items", "CREATE TABLE `items` (`id` int, `name` varchar(40)) ENGINE=InnoDB VALUES (1)", "filled it with rows as it was created" },
        { "a view calling another database's function", "Views", "items_view", "CREATE ALGORITHM=UNDEFINED SQL SECURITY DEFINER VIEW `items_view` AS select `id`,`name` from `items` where `name` like `{victim}`.`note_it`('x')", "it calls a function of the database" },
        { "a view reading another database", "Views", "items_view", "CREATE ALGORITHM=UNDEFINED SQL SECURITY DEFINER VIEW `items_view` AS select `secret` AS `id`,`secret` AS `name` from `{victim}`.`secrets`", "reads the database" },
        { "a routine hiding DETERMINISTIC from the restore in a versioned comment", "Routines", "touch", "CREATE FUNCTION `touch`() RETURNS int /*M!999999 NOT */ DETERMINISTIC RETURN 1", "DETERMINISTIC and a versioned comment" },
        { "an event whose schedule hides a DISABLE in a variable", "Events", "tick", "CREATE EVENT `tick` ON SCHEDULE AT CURRENT_TIMESTAMP + INTERVAL COALESCE(@disable, 0) SECOND ON COMPLETION PRESERVE DO INSERT INTO {victim}.secrets VALUES ('ran')", "its schedule is not written as SHOW CREATE EVENT writes one" },
        { "a library function listed as a routine", "Routines", "touch", "CREATE FUNCTION touch RETURNS STRING SONAME 'ha_sphinx.so'", "no parameter list follows its name" },
        { "an event whose status hides in a versioned comment", "Events", "tick", "CREATE EVENT `tick` ON SCHEDULE AT '2030-01-01 00:00:00' ON COMPLETION PRESERVE /*M!999999 DISABLE */ DO INSERT INTO {victim}.secrets VALUES ('ran')", "a versioned comment stands in its header" },
    };

    [SkippableTheory]
    [MemberData(nameof(HostileRows))]
    public async Task A_row_file_holding_anything_but_rows_of_its_table_is_refused_and_nothing_else_runs(string name, string line, string expected)
    {
        var (server, victim, repo, snapshot, entry) = await BackUpAsync(MySqlBackupMethod.Parallel);
        await using var _ = repo;
        var rows = await SnapshotSurgery.ReadFileAsync(repo.Repository, snapshot, $"{entry}/tables/items.sql");
        var altered = line.Replace("{victim}", victim, StringComparison.Ordinal) + "\n" + rows;
        var crafted = await SnapshotSurgery.ChangeDirectoryAsync(repo.Repository, snapshot, $"{entry}/tables", (writer, nodes) => SnapshotSurgery.ReplaceFileAsync(writer, nodes, "items.sql", altered));

        var failure = await RestoreFailsAsync(server, repo, crafted, victim, name);

        failure.Message.Should().Contain("Line 1 of").And.Contain("items.sql' is not a row INSERT as a backup writes it").And.Contain(expected);
    }

    [SkippableFact]
    public async Task A_driver_only_dump_refuses_rows_for_a_table_its_manifest_does_not_list()
    {
        var (server, victim, repo, snapshot, entry) = await BackUpAsync(MySqlBackupMethod.DriverOnly);
        await using var _ = repo;
        var rows = await SnapshotSurgery.ReadFileAsync(repo.Repository, snapshot, $"{entry}/data.sql");
        var altered = rows + $"INSERT INTO `{victim}`.`secrets` (`secret`) VALUES ('planted');\n";
        var crafted = await SnapshotSurgery.ChangeDirectoryAsync(repo.Repository, snapshot, entry, (writer, nodes) => SnapshotSurgery.ReplaceFileAsync(writer, nodes, "data.sql", altered));

        var failure = await RestoreFailsAsync(server, repo, crafted, victim, "a driver-only dump's planted row");

        failure.Message.Should().Contain("data.sql' is not a row INSERT").And.Contain("is not a table this file holds");
        (await server.ScalarAsync(victim, "SELECT COUNT(*) FROM secrets")).Should().Be(1L, "no row reached the other database");
    }

    [SkippableTheory]
    [MemberData(nameof(HostileDefinitions))]
    public async Task A_manifest_entry_that_is_not_its_objects_definition_is_refused_and_nothing_else_runs(string name, string list, string entryName, string statement, string expected)
    {
        foreach (var method in new[] { MySqlBackupMethod.Parallel, MySqlBackupMethod.DriverOnly })
        {
            var (server, victim, repo, snapshot, entry) = await BackUpAsync(method);
            await using var _ = repo;
            var manifest = JsonNode.Parse(await SnapshotSurgery.ReadFileAsync(repo.Repository, snapshot, $"{entry}/manifest.json"))!;
            var item = manifest[list]!.AsArray().Single(o => (string?)o!["Name"] == entryName)!;
            item["Create"] = statement.Replace("{victim}", victim, StringComparison.Ordinal);
            if (list == "Views")
            {
                item["SqlMode"] = "NO_BACKSLASH_ESCAPES";
            }

            var crafted = await SnapshotSurgery.ChangeDirectoryAsync(repo.Repository, snapshot, entry, (writer, nodes) => SnapshotSurgery.ReplaceFileAsync(writer, nodes, "manifest.json", manifest.ToJsonString()));

            var failure = await RestoreFailsAsync(server, repo, crafted, victim, $"{name} ({method})");

            failure.Message.Should().Contain(expected);
            (await server.ScalarAsync(null, "SELECT COUNT(*) FROM mysql.user WHERE User = 'intruder'")).Should().Be(0L);
            (await server.ScalarAsync(null, $"SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = '{victim}'")).Should().Be(0L);
            (await server.ScalarAsync(null, $"SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{victim}'")).Should().Be(1L);
        }
    }

    [SkippableTheory]
    [InlineData(MySqlBackupMethod.Parallel)]
    [InlineData(MySqlBackupMethod.DriverOnly)]
    public async Task A_view_does_not_run_a_function_of_the_snapshot_while_the_restore_creates_it(MySqlBackupMethod method)
    {
        // CREATE VIEW folds a deterministic function called with constants (here a LIKE pattern): its body ran, as the
        // restoring user, wherever it wrote.
        var (server, victim, repo, snapshot, entry) = await BackUpAsync(method);
        await using var _ = repo;
        var manifest = JsonNode.Parse(await SnapshotSurgery.ReadFileAsync(repo.Repository, snapshot, $"{entry}/manifest.json"))!;
        manifest["Routines"]!.AsArray().Add(new JsonObject
        {
            ["Name"] = "pat",
            ["SqlMode"] = "NO_AUTO_VALUE_ON_ZERO",
            ["Create"] = $"CREATE DEFINER=`root`@`localhost` FUNCTION `pat`() RETURNS varchar(60) DETERMINISTIC BEGIN INSERT INTO `{victim}`.`secrets` VALUES ('planted'); RETURN 'item%'; END",
        });
        manifest["Views"]!.AsArray().Single()!["Create"] = "CREATE ALGORITHM=UNDEFINED SQL SECURITY DEFINER VIEW `items_view` AS select `id`, `name` from `items` where `name` like `pat`()";
        var crafted = await SnapshotSurgery.ChangeDirectoryAsync(repo.Repository, snapshot, entry, (writer, nodes) => SnapshotSurgery.ReplaceFileAsync(writer, nodes, "manifest.json", manifest.ToJsonString()));
        var target = fixture.NewDatabaseName("folded_target");

        await RestoreAsync(server, repo, crafted, target);

        (await server.ScalarAsync(victim, "SELECT COUNT(*) FROM secrets")).Should().Be(1L, "the function's body did not run while the view was created");
        (await server.ScalarAsync(null, $"SELECT IS_DETERMINISTIC FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = '{target}' AND ROUTINE_NAME = 'pat'")).Should().Be("YES", "the function is restored as the snapshot has it");
        (await server.ScalarAsync(null, $"SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = '{target}' AND ROUTINE_NAME = 'touch'")).Should().Be(1L);
        (await server.ScalarAsync(null, $"SELECT COUNT(*) FROM information_schema.VIEWS WHERE TABLE_SCHEMA = '{target}' AND TABLE_NAME = 'items_view'")).Should().Be(1L);
    }

    [SkippableTheory]
    [InlineData("DEFAULT current_user()", "it leaves out column 'leak', whose default the load would evaluate")]
    [InlineData("DEFAULT 'constant'", null)]
    [InlineData("DEFAULT NULL", null)]
    public async Task Rows_may_leave_a_column_only_to_a_default_that_reads_nothing_of_the_server(string definition, string? refusal)
    {
        // The rows list id and name; the manifest's table has one more column, as an older MySQL 8 snapshot's
        // expression default or a server's invisible key would.
        var (server, victim, repo, snapshot, entry) = await BackUpAsync(MySqlBackupMethod.Parallel);
        await using var _ = repo;
        var manifest = JsonNode.Parse(await SnapshotSurgery.ReadFileAsync(repo.Repository, snapshot, $"{entry}/manifest.json"))!;
        manifest["Tables"]!.AsArray().Single(o => (string?)o!["Name"] == "items")!["Create"] =
            $"CREATE TABLE `items` (\n  `id` int(11) NOT NULL,\n  `name` varchar(20) DEFAULT NULL,\n  `leak` varchar(300) {definition},\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB";
        var crafted = await SnapshotSurgery.ChangeDirectoryAsync(repo.Repository, snapshot, entry, (writer, nodes) => SnapshotSurgery.ReplaceFileAsync(writer, nodes, "manifest.json", manifest.ToJsonString()));

        if (refusal is not null)
        {
            var failure = await RestoreFailsAsync(server, repo, crafted, victim, definition);
            failure.Message.Should().Contain(refusal);
            return;
        }

        var target = fixture.NewDatabaseName("defaulted");
        await RestoreAsync(server, repo, crafted, target);
        (await server.ScalarAsync(target, "SELECT COUNT(*) FROM items")).Should().Be(100L);
    }

    [SkippableFact]
    public async Task A_one_time_event_already_past_and_a_zone_the_server_does_not_know_still_restore_in_a_drill()
    {
        var (server, _, repo, snapshot, entry) = await BackUpAsync(MySqlBackupMethod.Parallel);
        await using var __ = repo;
        var manifest = JsonNode.Parse(await SnapshotSurgery.ReadFileAsync(repo.Repository, snapshot, $"{entry}/manifest.json"))!;
        var events = manifest["Events"]!.AsArray();
        events.Single()!["TimeZone"] = "Europe/Nowhere";
        events.Add(new JsonObject
        {
            ["Name"] = "once",
            ["SqlMode"] = "NO_AUTO_VALUE_ON_ZERO",
            ["TimeZone"] = "+00:00",
            ["Create"] = "CREATE DEFINER=`root`@`localhost` EVENT `once` ON SCHEDULE AT '2001-01-01 00:00:00' ON COMPLETION NOT PRESERVE ENABLE DO SELECT 1",
        });
        var crafted = await SnapshotSurgery.ChangeDirectoryAsync(repo.Repository, snapshot, entry, (writer, nodes) => SnapshotSurgery.ReplaceFileAsync(writer, nodes, "manifest.json", manifest.ToJsonString()));

        var report = await new MySqlVerifier(repo.Repository).VerifyAsync(crafted, new MySqlVerifyOptions { ConnectionString = server.ConnectionString(), Password = MariaDbServer.Password, ClientToolsDirectory = "/nonexistent" });

        output.WriteLine(report.ToString());
        report.Succeeded.Should().BeTrue("a one-time event already past is not created, and an unknown zone leaves the schedule in UTC");
    }

    [Fact]
    public void A_routines_deterministic_characteristic_is_turned_off_wherever_the_server_reads_it()
    {
        MyDriverRestore.NotDeterministic("CREATE FUNCTION `f`() RETURNS int DETERMINISTIC NO SQL RETURN 1 -- DETERMINISTIC", default)
            .Should().Be("CREATE FUNCTION `f`() RETURNS int NOT DETERMINISTIC NO SQL RETURN 1 -- DETERMINISTIC");
        var hidden = () => MyDriverRestore.NotDeterministic("CREATE FUNCTION `f`() RETURNS int /*M!999999 NOT */ DETERMINISTIC RETURN 1", default);
        hidden.Should().Throw<DatabaseRestoreException>("a server skips a versioned comment of a later version, NOT included");
        MyDriverRestore.NotDeterministic("CREATE PROCEDURE `p`() SELECT 'DETERMINISTIC', `DETERMINISTIC`", default)
            .Should().Be("CREATE PROCEDURE `p`() SELECT 'DETERMINISTIC', `DETERMINISTIC`");
    }

    [SkippableFact]
    public async Task A_line_of_a_multi_line_comment_that_looks_like_a_key_stays_in_the_comment()
    {
        // The restore builds secondary keys from the CREATE's lines after the rows: a line inside a quoted comment
        // that looks like a key would become an ALTER of its own, so a table with such a line is created whole.
        var (server, victim, repo, snapshot, entry) = await BackUpAsync(MySqlBackupMethod.Parallel);
        await using var _ = repo;
        var manifest = JsonNode.Parse(await SnapshotSurgery.ReadFileAsync(repo.Repository, snapshot, $"{entry}/manifest.json"))!;
        var items = manifest["Tables"]!.AsArray().Single(o => (string?)o!["Name"] == "items")!;
        items["Create"] = $"CREATE TABLE `items` (\n  `id` int(11) NOT NULL,\n  `name` varchar(20) DEFAULT NULL COMMENT 'x\n  KEY `k` (`name`); DROP DATABASE {victim}; -- \n  ',\n  PRIMARY KEY (`id`),\n  KEY `items_name` (`name`)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";
        var crafted = await SnapshotSurgery.ChangeDirectoryAsync(repo.Repository, snapshot, entry, (writer, nodes) => SnapshotSurgery.ReplaceFileAsync(writer, nodes, "manifest.json", manifest.ToJsonString()));

        var target = fixture.NewDatabaseName("hostile_target");

        await RestoreAsync(server, repo, crafted, target);

        (await server.ScalarAsync(null, $"SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '{victim}'")).Should().Be(1L);
        (await server.ScalarAsync(target, "SELECT COUNT(*) FROM items")).Should().Be(100L);
        (await server.ScalarAsync(null, $"SELECT COLUMN_COMMENT FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '{target}' AND TABLE_NAME = 'items' AND COLUMN_NAME = 'name'")).Should().Be($"x\n  KEY `k` (`name`); DROP DATABASE {victim}; -- \n  ");
        (await server.ScalarAsync(null, $"SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = '{target}' AND TABLE_NAME = 'items' AND INDEX_NAME = 'items_name'")).Should().Be(1L);
    }

    [SkippableFact]
    public async Task A_drill_runs_as_a_user_that_may_touch_only_scratch_databases_and_creates_events_disabled()
    {
        var (server, _, repo, snapshot, _) = await BackUpAsync(MySqlBackupMethod.Parallel);
        await using var __ = repo;
        var user = $"drill_{Guid.NewGuid():N}"[..20];
        await server.ExecuteAsync(null, $"CREATE USER '{user}'@'%' IDENTIFIED BY 'drill-pw'; GRANT ALL ON `backup\\_verify\\_%`.* TO '{user}'@'%'");
        string? eventStatus = null;
        var options = new MySqlVerifyOptions
        {
            ConnectionString = server.ConnectionString().Replace("User ID=tester", $"User ID={user}", StringComparison.Ordinal),
            Password = "drill-pw",
            ClientToolsDirectory = "/nonexistent",
            AfterRestore = async (connection, _, ct) =>
            {
                await using var command = new MySqlCommand("SELECT STATUS FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE() AND EVENT_NAME = 'tick'", connection);
                eventStatus = (string?)await command.ExecuteScalarAsync(ct);
            },
        };

        var report = await new MySqlVerifier(repo.Repository).VerifyAsync(snapshot, options);

        output.WriteLine(report.ToString());
        report.Succeeded.Should().BeTrue("a user with every privilege on the scratch databases' names, and none elsewhere, can drill");
        report.Notes.Should().NotContain(n => n.Contains("every database", StringComparison.Ordinal));
        eventStatus.Should().Be("DISABLED", "a drill's scheduled jobs would change the rows it compares, and run with its privileges");
    }

    [SkippableTheory]
    [InlineData(MySqlBackupMethod.Parallel)]
    [InlineData(MySqlBackupMethod.DriverOnly)]
    public async Task A_table_the_restore_would_refuse_fails_the_driver_backup_and_names_the_dump_method(MySqlBackupMethod method)
    {
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("merge_source");
        await server.ExecuteAsync(null, $"CREATE DATABASE {database}");
        await server.ExecuteAsync(database, "CREATE TABLE part1 (id INT) ENGINE = MyISAM; CREATE TABLE allparts (id INT) ENGINE = MERGE UNION = (part1) INSERT_METHOD = LAST;");
        await using var repo = await TestRepository.CreateAsync();

        var backup = () => repo.Service.BackupAsync(new MySqlSource(new MySqlSourceOptions
        {
            ConnectionString = server.ConnectionString(database),
            Password = MariaDbServer.Password,
            Method = method,
            ClientToolsDirectory = "/nonexistent",
        }));

        var error = (await backup.Should().ThrowAsync<BackupSourceException>()).Which;
        output.WriteLine(error.Message);
        error.Message.Should().Contain($"'{database}.allparts'").And.Contain("storage engine").And.Contain("MySqlBackupMethod.Dump");
        (await repo.CountSnapshotsAsync()).Should().Be(0, "no snapshot that cannot be restored is written");
    }

    [Fact]
    public void Definitions_as_servers_show_them_pass_the_check()
    {
        var check = (string statement, MyDefinition.Kind kind, string name) => () => MyDefinition.Checked(statement, kind, name, "shop", "shop");

        check("CREATE TABLE `odd``name` (\n  `id` int(11) NOT NULL COMMENT 'select me from other.db',\n  `n` decimal(5,2) DEFAULT 1.50,\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB", MyDefinition.Kind.Table, "odd`name").Should().NotThrow();
        check("CREATE ALGORITHM=UNDEFINED SQL SECURITY DEFINER VIEW `v` AS select 1 AS `1`", MyDefinition.Kind.View, "v").Should().NotThrow();
        check("CREATE AGGREGATE FUNCTION `agg`(x INT) RETURNS int BEGIN RETURN 1; END", MyDefinition.Kind.Routine, "agg").Should().NotThrow();
        check("CREATE PACKAGE BODY \"pkg\" AS PROCEDURE p AS BEGIN NULL; END; END", MyDefinition.Kind.Routine, "pkg").Should().Throw<DatabaseRestoreException>("double quotes name nothing without ANSI_QUOTES");
        MyDefinition.Checked("CREATE PACKAGE BODY \"pkg\" AS PROCEDURE p AS BEGIN NULL; END; END", MyDefinition.Kind.Routine, "pkg", "shop", "shop", new MySqlCode.Mode(false, AnsiQuotes: true))
            .Should().StartWith("CREATE PACKAGE BODY \"pkg\"");
        check("CREATE TRIGGER IF NOT EXISTS tré -- keeps the body set\nBEFORE INSERT ON notes FOR EACH ROW SET NEW.body = 'x'", MyDefinition.Kind.Trigger, "tré").Should().NotThrow();
        MyDefinition.Checked("CREATE TRIGGER `shop`.stamp BEFORE INSERT ON shop . notes FOR EACH ROW SET NEW.body = 'shop.x'", MyDefinition.Kind.Trigger, "stamp", "restored", "shop")
            .Should().Be("CREATE TRIGGER stamp BEFORE INSERT ON notes FOR EACH ROW SET NEW.body = 'shop.x'", "a trigger its author named with the database backed up lands in the one restored");
        check("CREATE TRIGGER stamp BEFORE INSERT OR UPDATE ON notes FOR EACH ROW SET NEW.body = 'x'", MyDefinition.Kind.Trigger, "stamp").Should().NotThrow();
        check("CREATE TRIGGER stamp BEFORE UPDATE OF `body`, n ON notes FOR EACH ROW SET NEW.body = 'x'", MyDefinition.Kind.Trigger, "stamp").Should().NotThrow();
        check("CREATE TABLE `m` (`a` int) ENGINE=Mroonga", MyDefinition.Kind.Table, "m").Should().NotThrow("Mroonga keeps its rows in this server");
        MyDefinition.Checked("CREATE ALGORITHM=UNDEFINED SQL SECURITY DEFINER VIEW `v` AS select `shop`.`f`(1) AS `x`, `t`.`c` AS `c` from `t`", MyDefinition.Kind.View, "v", "restored", "shop")
            .Should().Be("CREATE ALGORITHM=UNDEFINED SQL SECURITY DEFINER VIEW `v` AS select `restored`.`f`(1) AS `x`, `t`.`c` AS `c` from `t`", "the restored view calls the function restored with it");
        MyDefinition.Checked("CREATE ALGORITHM=UNDEFINED SQL SECURITY DEFINER VIEW `v` AS select `shop`.`pk`.`plus`(`t`.`id`) AS `p` from `t`", MyDefinition.Kind.View, "v", "restored", "shop")
            .Should().Contain("`restored`.`pk`.`plus`(", "a package member is written with its database, package and name");
        check("CREATE ALGORITHM=UNDEFINED SQL SECURITY DEFINER VIEW `v` AS select `other` . `f`(1) AS `x`", MyDefinition.Kind.View, "v")
            .Should().Throw<DatabaseRestoreException>().WithMessage("*calls a function of the database 'other'*");
        check("CREATE TABLE `t` (`id` int, `s` bigint DEFAULT nextval(/*!1shop*/.s)) ENGINE=InnoDB", MyDefinition.Kind.Table, "t")
            .Should().Throw<DatabaseRestoreException>("fewer than five digits after /*! are code to the server: the database is '1shop'").WithMessage("*refers to the database '1shop'*");
        check("CREATE TRIGGER other.stamp BEFORE INSERT ON other.notes FOR EACH ROW SET NEW.body = 'x'", MyDefinition.Kind.Trigger, "stamp")
            .Should().Throw<DatabaseRestoreException>().WithMessage("*it names the database 'other'*");
        check("CREATE TRIGGER stamp /*!.x*/ BEFORE INSERT ON notes FOR EACH ROW SET NEW.body = 'x'", MyDefinition.Kind.Trigger, "stamp")
            .Should().Throw<DatabaseRestoreException>().WithMessage("*versioned comment*");
        check("CREATE EVENT `tick` ON SCHEDULE EVERY 1 HOUR ON COMPLETION NOT PRESERVE ENABLE DO SELECT 1", MyDefinition.Kind.Event, "tock")
            .Should().Throw<DatabaseRestoreException>().WithMessage("*it names 'tick'*");
        check(MyDriverManifest.WithoutDefiner("CREATE DEFINER=`app_role` PROCEDURE `p`() SELECT 'DEFINER=`a`@`b`'"), MyDefinition.Kind.Routine, "p").Should().NotThrow("a role may be the definer");
        MyDriverManifest.WithoutDefiner("CREATE ALGORITHM=UNDEFINED DEFINER=`root`@`localhost` SQL SECURITY DEFINER VIEW `v` AS select 'DEFINER=`a`@`b`' AS `s`")
            .Should().Be("CREATE ALGORITHM=UNDEFINED SQL SECURITY DEFINER VIEW `v` AS select 'DEFINER=`a`@`b`' AS `s`", "only the clause SHOW CREATE writes goes, never text of the view's own");
        check("CREATE TABLE `t` (`a` int) ENGINE=MyISAM DATA DIRECTORY='/tmp'", MyDefinition.Kind.Table, "t")
            .Should().Throw<DatabaseRestoreException>().WithMessage("*DIRECTORY option reaches outside the database*");
        check("CREATE TABLE `t` (`a` int) ENGINE=FEDERATED COMMENT='mysql://u@host/db/t'", MyDefinition.Kind.Table, "t")
            .Should().Throw<DatabaseRestoreException>().WithMessage("*storage engine is not one*");
        check("CREATE TABLE `t` (`a` int) ENGINE /**/ = InnoDB", MyDefinition.Kind.Table, "t").Should().Throw<DatabaseRestoreException>();
        check("CREATE TABLE `p` (\n  `c` varchar(5) NOT NULL\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4\n/*!50500 PARTITION BY LIST  COLUMNS(`c`)\n(PARTITION p0 VALUES IN ('a','b') ENGINE = InnoDB) */", MyDefinition.Kind.Table, "p")
            .Should().NotThrow("MySQL writes partitioning in a versioned comment, strings included");
    }

    [Fact]
    public void A_table_whose_quoted_names_span_lines_keeps_its_keys_in_its_create()
    {
        // SHOW CREATE writes a newline inside a name as it is: a line cut out of such a name would pair its quotes
        // differently in the ALTER TABLE its key goes to.
        var split = MyDeferredKeys.Split("CREATE TABLE `t` (\n  `ACTION` int NOT NULL,\n  `x\n  KEY (`ACTION`) COMMENT '\n  z` int DEFAULT NULL,\n  `y\n  KEY ' , RENAME TO victim.planted #\n  w` int DEFAULT NULL,\n  KEY `k` (`ACTION`)\n) ENGINE=InnoDB");

        split.Keys.Should().BeEmpty();
        split.ForeignKeys.Should().BeEmpty();
        MyDeferredKeys.Split("CREATE TABLE `t` (\n  `id` int NOT NULL,\n  `n` varchar(5) DEFAULT NULL,\n  PRIMARY KEY (`id`),\n  KEY `k` (`n`)\n) ENGINE=InnoDB")
            .Keys.Should().Equal(["ADD KEY `k` (`n`)"], "an ordinary table still has its secondary keys built after its rows");
    }

    [Fact]
    public void A_test_restore_makes_an_events_status_disabled_where_the_server_reads_it()
    {
        var disabled = (string statement, MySqlCode.Mode mode) => MyDefinition.Checked(statement, MyDefinition.Kind.Event, "tick", "shop", "shop", mode, eventDisabled: true);

        disabled("CREATE EVENT `tick` ON SCHEDULE EVERY 1 HOUR STARTS '2026-01-01 00:00:00' ON COMPLETION NOT PRESERVE ENABLE DO UPDATE t SET n = n + 1", default)
            .Should().Be("CREATE EVENT `tick` ON SCHEDULE EVERY 1 HOUR STARTS '2026-01-01 00:00:00' ON COMPLETION NOT PRESERVE DISABLE DO UPDATE t SET n = n + 1");
        disabled("CREATE EVENT `tick` ON SCHEDULE AT '2030-01-01 00:00:00' ON COMPLETION PRESERVE /* enable */ ENABLE COMMENT 'ENABLE DO' DO SET @enable = 1", default)
            .Should().Be("CREATE EVENT `tick` ON SCHEDULE AT '2030-01-01 00:00:00' ON COMPLETION PRESERVE /* enable */ DISABLE COMMENT 'ENABLE DO' DO SET @enable = 1");
        disabled("CREATE EVENT `tick` ON SCHEDULE EVERY '1:30' HOUR_MINUTE ON COMPLETION NOT PRESERVE DISABLE ON SLAVE DO SET @x = 1", default)
            .Should().Be("CREATE EVENT `tick` ON SCHEDULE EVERY '1:30' HOUR_MINUTE ON COMPLETION NOT PRESERVE DISABLE ON SLAVE DO SET @x = 1");
        disabled("CREATE EVENT `tick` ON SCHEDULE EVERY 1 DAY STARTS '2026-01-01 00:00:00' ENDS '2027-01-01 00:00:00' ON COMPLETION PRESERVE DISABLE ON REPLICA COMMENT 'MySQL 8''s word' DO SET @x = 1", default)
            .Should().Contain("DISABLE ON REPLICA", "MySQL 8.0.22 writes REPLICA where MariaDB writes SLAVE");
        const string backslash = "CREATE EVENT `tick` ON SCHEDULE EVERY 1 HOUR ON COMPLETION NOT PRESERVE ENABLE COMMENT 'x\\' DO SELECT 1";
        disabled(backslash, new MySqlCode.Mode(NoBackslashEscapes: true, AnsiQuotes: false))
            .Should().Be("CREATE EVENT `tick` ON SCHEDULE EVERY 1 HOUR ON COMPLETION NOT PRESERVE DISABLE COMMENT 'x\\' DO SELECT 1", "under NO_BACKSLASH_ESCAPES the backslash escapes nothing");
        var read = () => disabled(backslash, default);
        read.Should().Throw<DatabaseRestoreException>("read with backslash escapes, the comment never ends: the mode matters");
        var hidden = () => disabled("CREATE EVENT `tick` ON SCHEDULE AT CURRENT_TIMESTAMP + INTERVAL COALESCE(@disable, 0) SECOND ON COMPLETION PRESERVE DO SELECT 1", default);
        hidden.Should().Throw<DatabaseRestoreException>().WithMessage("*not written as SHOW CREATE EVENT writes one*");
    }

    [SkippableFact]
    public async Task A_drill_reads_an_events_schedule_in_the_sql_mode_it_was_created_under()
    {
        var (server, victim, repo, snapshot, entry) = await BackUpAsync(MySqlBackupMethod.Parallel);
        await using var _ = repo;
        var manifest = JsonNode.Parse(await SnapshotSurgery.ReadFileAsync(repo.Repository, snapshot, $"{entry}/manifest.json"))!;
        var tick = manifest["Events"]!.AsArray().Single()!;
        tick["SqlMode"] = "NO_BACKSLASH_ESCAPES";
        tick["Create"] = "CREATE EVENT `tick` ON SCHEDULE EVERY 1 HOUR STARTS '2030-01-01 00:00:00' ON COMPLETION NOT PRESERVE ENABLE COMMENT 'x\\' DO SELECT 1";
        var crafted = await SnapshotSurgery.ChangeDirectoryAsync(repo.Repository, snapshot, entry, (writer, nodes) => SnapshotSurgery.ReplaceFileAsync(writer, nodes, "manifest.json", manifest.ToJsonString()));
        string? status = null;

        var report = await new MySqlVerifier(repo.Repository).VerifyAsync(crafted, new MySqlVerifyOptions
        {
            ConnectionString = server.ConnectionString(),
            Password = MariaDbServer.Password,
            ClientToolsDirectory = "/nonexistent",
            AfterRestore = async (connection, _, ct) =>
            {
                await using var command = new MySqlCommand("SELECT STATUS FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE() AND EVENT_NAME = 'tick'", connection);
                status = (string?)await command.ExecuteScalarAsync(ct);
            },
        });

        output.WriteLine(report.ToString());
        status.Should().Be("DISABLED", "the event was created disabled, not left to run until the ALTER after it");
        report.Notes.Should().NotContain(n => n.Contains("every database", StringComparison.Ordinal), "the test server's user may do anything, so the drill ran as a scratch user");
    }

    /// <summary>A source database with rows, keys, a routine, a view, a trigger and an event, and another database beside it; backed up with <paramref name="method"/>.</summary>
    private async Task<(MariaDbServer Server, string Victim, TestRepository Repo, Snapshot Snapshot, string Entry)> BackUpAsync(MySqlBackupMethod method)
    {
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("hostile_source");
        var victim = fixture.NewDatabaseName("victim");
        await server.ExecuteAsync(null, $"CREATE DATABASE {database}; CREATE DATABASE {victim}");
        await server.ExecuteAsync(victim, "CREATE TABLE secrets (secret VARCHAR(40)); INSERT INTO secrets VALUES ('the victim''s secret')");
        await server.ExecuteAsync(database, """
            CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20), KEY items_name (name)) ENGINE = InnoDB;
            CREATE TABLE notes (id INT, body TEXT);
            INSERT INTO items SELECT seq, CONCAT('item ', seq) FROM seq_1_to_100;
            INSERT INTO notes SELECT seq, CONCAT('note ', seq) FROM seq_1_to_10;
            CREATE PROCEDURE touch() BEGIN UPDATE notes SET body = body WHERE id = 1; SELECT 1; END;
            CREATE VIEW items_view AS SELECT id, name FROM items;
            CREATE TRIGGER stamp BEFORE INSERT ON notes FOR EACH ROW SET NEW.body = COALESCE(NEW.body, 'none');
            CREATE EVENT tick ON SCHEDULE EVERY 1 SECOND DO UPDATE notes SET body = CONCAT(body, '+') WHERE id = 1;
            """);
        var repo = await TestRepository.CreateAsync();
        var snapshot = (await repo.Service.BackupAsync(new MySqlSource(new MySqlSourceOptions
        {
            ConnectionString = server.ConnectionString(database),
            Password = MariaDbServer.Password,
            Method = method,
            ClientToolsDirectory = "/nonexistent",
        }))).Snapshot;
        return (server, victim, repo, snapshot, snapshot.Metadata[$"mysql.entry.{database}"]);
    }

    /// <summary>Restores <paramref name="snapshot"/> into <paramref name="target"/> on two connections.</summary>
    private static Task<DatabaseRestoreResult> RestoreAsync(MariaDbServer server, TestRepository repo, Snapshot snapshot, string target) =>
        new MySqlRestorer(repo.Repository).RestoreAsync(snapshot, new MySqlRestoreOptions
        {
            ConnectionString = server.ConnectionString(),
            Password = MariaDbServer.Password,
            TargetDatabase = target,
            Jobs = 2,
        });

    /// <summary>Restores <paramref name="snapshot"/>, which must fail as altered, leaving the victim database whole and no target behind.</summary>
    private async Task<DatabaseRestoreException> RestoreFailsAsync(MariaDbServer server, TestRepository repo, Snapshot snapshot, string victim, string what)
    {
        var target = fixture.NewDatabaseName("hostile_target");
        var restore = () => RestoreAsync(server, repo, snapshot, target);

        var failure = (await restore.Should().ThrowExactlyAsync<DatabaseRestoreException>(what)).Which;
        output.WriteLine($"{what}: {failure.Message}");
        failure.Message.Should().Contain("damaged or was altered");
        (await server.ScalarAsync(null, $"SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '{victim}'")).Should().Be(1L, $"{what} must not drop another database");
        (await server.ScalarAsync(victim, "SELECT secret FROM secrets")).Should().Be("the victim's secret");
        (await server.ScalarAsync(null, $"SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '{target}'")).Should().Be(0L, "a failed restore drops the database it created");
        return failure;
    }
}
