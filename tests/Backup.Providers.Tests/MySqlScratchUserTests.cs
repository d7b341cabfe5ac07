using System.Text;
using Backup.Core.Snapshots;
using Backup.Providers.MySql;
using Backup.Providers.Tests.Servers;
using MySqlConnector;
using Xunit.Abstractions;

namespace Backup.Providers.Tests;

/// <summary>
/// A <c>Dump</c> snapshot is a script the mariadb client runs as it stands, and a client that may only add snapshots
/// can write one: test restores and drills by a user with privileges on every database run it as a user made for the
/// scratch database, which may touch nothing else.
/// </summary>
public sealed class MySqlScratchUserTests(MariaDbFixture fixture, ITestOutputHelper output) : IClassFixture<MariaDbFixture>
{
    private async Task<(MariaDbServer Server, string Victim, TestRepository Repo, Snapshot Snapshot, string Entry)> BackUpAsync(MySqlBackupMethod method)
    {
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("scratch_source");
        var victim = fixture.NewDatabaseName("scratch_victim");
        await server.ExecuteAsync(null, $"CREATE DATABASE {database}; CREATE DATABASE {victim}");
        await server.ExecuteAsync(victim, "CREATE TABLE secrets (secret VARCHAR(40)); INSERT INTO secrets VALUES ('kept')");
        await server.ExecuteAsync(database, """
            CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20)) ENGINE = InnoDB;
            CREATE TABLE notes (id INT, body TEXT);
            INSERT INTO items SELECT seq, CONCAT('item ', seq) FROM seq_1_to_100;
            INSERT INTO notes SELECT seq, CONCAT('note ', seq) FROM seq_1_to_10;
            CREATE PROCEDURE touch() BEGIN UPDATE notes SET body = body WHERE id = 1; END;
            CREATE FUNCTION twice(x INT) RETURNS INT DETERMINISTIC RETURN x * 2;
            CREATE VIEW items_view AS SELECT id, name FROM items;
            CREATE TRIGGER stamp BEFORE INSERT ON notes FOR EACH ROW SET NEW.body = COALESCE(NEW.body, 'none');
            CREATE EVENT tick ON SCHEDULE EVERY 1 HOUR DO UPDATE notes SET body = CONCAT(body, '+') WHERE id = 1;
            CREATE TABLE settings (id INT PRIMARY KEY, v TEXT);
            INSERT INTO settings VALUES (1, 'DEFINER=`x`@`y`'), (2, '/*!50013 DEFINER=`x`@`y` SQL SECURITY DEFINER */'), (3, 'CREATE DEFINER=`x`@`y` PROCEDURE');
            SET SESSION sql_mode = 'ANSI_QUOTES';
            CREATE PROCEDURE quoted() BEGIN SELECT 1; END;
            SET SESSION sql_mode = DEFAULT;
            """);
        var repo = await TestRepository.CreateAsync();
        var snapshot = (await repo.Service.BackupAsync(new MySqlSource(new MySqlSourceOptions
        {
            ConnectionString = server.ConnectionString(database),
            Password = MariaDbServer.Password,
            Method = method,
        }))).Snapshot;
        return (server, victim, repo, snapshot, snapshot.Metadata[$"mysql.entry.{database}"]);
    }

    private static MySqlVerifyOptions VerifyOptions(MariaDbServer server, string prefix) => new()
    {
        ConnectionString = server.ConnectionString(),
        Password = MariaDbServer.Password,
        ScratchDatabasePrefix = prefix,
    };

    [SkippableTheory]
    [InlineData(MySqlBackupMethod.Dump)]
    [InlineData(MySqlBackupMethod.Parallel)]
    public async Task A_privileged_users_test_restore_runs_the_snapshot_as_a_scratch_user(MySqlBackupMethod method)
    {
        var (server, _, repo, snapshot, _) = await BackUpAsync(method);
        await using var _ = repo;
        var prefix = fixture.NewDatabaseName("su");
        var definers = new List<string>();
        var report = await new MySqlVerifier(repo.Repository).VerifyAsync(snapshot, VerifyOptions(server, prefix) with
        {
            AfterRestore = async (connection, _, ct) =>
            {
                await using var command = new MySqlCommand(
                    "SELECT DEFINER FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE() UNION ALL SELECT DEFINER FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE() " +
                    "UNION ALL SELECT DEFINER FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() UNION ALL SELECT DEFINER FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE()",
                    connection);
                await using var reader = await command.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    definers.Add(reader.GetString(0));
                }
            },
        });

        output.WriteLine(report.ToString());
        report.Succeeded.Should().BeTrue();
        report.Notes.Should().NotContain(n => n.Contains("every database", StringComparison.Ordinal));
        var symlinks = (string?)await server.ScalarAsync(null, "SELECT @@have_symlink");
        report.Notes.Any(n => n.Contains("symbolic-links=0", StringComparison.Ordinal)).Should().Be(symlinks == "YES", "a server that lets tables choose their directories is named in the report");
        definers.Should().HaveCount(6).And.OnlyContain(d => d.StartsWith(prefix + "_", StringComparison.Ordinal), "the objects belong to the scratch user");
        (await server.ScalarAsync(null, $"SELECT COUNT(*) FROM mysql.user WHERE User LIKE '{prefix}\\_%'")).Should().Be(0L, "the scratch user went with its database");
        (await server.ScalarAsync(null, $"SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE '{prefix}\\_%'")).Should().Be(0L);
    }

    [SkippableFact]
    public async Task A_dump_that_drops_another_database_fails_its_test_restore_and_the_database_stays()
    {
        var (server, victim, repo, snapshot, entry) = await BackUpAsync(MySqlBackupMethod.Dump);
        await using var _ = repo;
        var crafted = await SnapshotSurgery.ChangeFileAsync(repo.Repository, snapshot, entry, dump => dump + $"\nDROP DATABASE {victim};\n");
        var verifier = new MySqlVerifier(repo.Repository);

        var report = await verifier.VerifyAsync(crafted, VerifyOptions(server, fixture.NewDatabaseName("su")));
        output.WriteLine(report.ToString());
        report.Succeeded.Should().BeFalse();
        report.IntegrityProblems.Should().ContainSingle().Which.Should().Contain("denied");
        (await server.ScalarAsync(victim, "SELECT secret FROM secrets")).Should().Be("kept");

        // Trusted with the user's rights, the same snapshot drops the other database: what the scratch user prevents.
        var trusted = await verifier.VerifyAsync(crafted, VerifyOptions(server, fixture.NewDatabaseName("su")) with { UseScratchUser = false });
        output.WriteLine(trusted.ToString());
        trusted.Notes.Should().Contain(n => n.Contains("holds privileges on every database (ON *.*)", StringComparison.Ordinal) && n.Contains("docs/databases.md", StringComparison.Ordinal));
        (await server.ScalarAsync(null, $"SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '{victim}'")).Should().Be(0L);
    }

    [SkippableTheory]
    [InlineData("SET PASSWORD = PASSWORD('chosen by the snapshot')")]
    public async Task A_dump_that_gives_its_scratch_user_a_password_of_its_own_fails_its_test_restore_naming_that(string statement)
    {
        var (server, _, repo, snapshot, entry) = await BackUpAsync(MySqlBackupMethod.Dump);
        await using var _ = repo;
        var crafted = await SnapshotSurgery.ChangeFileAsync(repo.Repository, snapshot, entry, dump => dump + $"\n{statement};\n");
        var prefix = fixture.NewDatabaseName("su");

        var report = await new MySqlVerifier(repo.Repository).VerifyAsync(crafted, VerifyOptions(server, prefix));
        output.WriteLine(report.ToString());
        report.Succeeded.Should().BeFalse();
        report.IntegrityProblems.Should().ContainSingle().Which.Should().Contain("a password of its own").And.Contain("attack");
        (await server.ScalarAsync(null, $"SELECT COUNT(*) FROM mysql.user WHERE User LIKE '{prefix}\\_%'")).Should().Be(0L, "the scratch user went with its database");
        (await server.ScalarAsync(null, $"SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE '{prefix}\\_%'")).Should().Be(0L);
    }

    [SkippableFact]
    public async Task A_password_set_while_the_scratch_user_is_entered_for_the_comparison_fails_the_test_restore()
    {
        // The hook stands in for the snapshot's code that runs while the comparison reads the scratch database.
        var (server, _, repo, snapshot, _) = await BackUpAsync(MySqlBackupMethod.Parallel);
        await using var _ = repo;
        var prefix = fixture.NewDatabaseName("su");

        var report = await new MySqlVerifier(repo.Repository).VerifyAsync(snapshot, VerifyOptions(server, prefix) with
        {
            AfterRestore = async (connection, _, ct) =>
            {
                await using var command = new MySqlCommand("SET PASSWORD = PASSWORD('chosen by the snapshot')", connection);
                await command.ExecuteNonQueryAsync(ct);
            },
        });

        output.WriteLine(report.ToString());
        report.Succeeded.Should().BeFalse();
        report.IntegrityProblems.Should().ContainSingle().Which.Should().Contain("a password of its own").And.Contain("dropped with its database");
        (await server.ScalarAsync(null, $"SELECT COUNT(*) FROM mysql.user WHERE User LIKE '{prefix}\\_%'")).Should().Be(0L);
    }

    [SkippableFact]
    public async Task A_dump_that_loads_a_file_of_the_restoring_host_cannot()
    {
        // LOAD DATA LOCAL INFILE is read by the client, on the host that restores, with that user's rights.
        var (server, _, repo, snapshot, entry) = await BackUpAsync(MySqlBackupMethod.Dump);
        await using var _ = repo;
        var secret = Path.Combine(Path.GetTempPath(), $"operator-secret-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(secret, "operator-secret-value");
        try
        {
            var crafted = await SnapshotSurgery.ChangeFileAsync(repo.Repository, snapshot, entry, dump => dump + $"\nCREATE TABLE loot (l TEXT);\nLOAD DATA LOCAL INFILE '{secret}' INTO TABLE loot;\nSELECT EXTRACTVALUE(1, CONCAT(0x7e, (SELECT l FROM loot LIMIT 1)));\n");

            var report = await new MySqlVerifier(repo.Repository).VerifyAsync(crafted, VerifyOptions(server, fixture.NewDatabaseName("su")));
            output.WriteLine(report.ToString());
            report.Succeeded.Should().BeFalse();
            report.ToString().Should().NotContain("operator-secret-value");

            var restore = () => new MySqlRestorer(repo.Repository).RestoreAsync(crafted, new MySqlRestoreOptions { ConnectionString = server.ConnectionString(), Password = MariaDbServer.Password, TargetDatabase = fixture.NewDatabaseName("loot") });
            (await restore.Should().ThrowAsync<DatabaseRestoreException>()).Which.Message.Should().NotContain("operator-secret-value");
        }
        finally
        {
            File.Delete(secret);
        }
    }

    [SkippableFact]
    public async Task A_scratch_restore_refuses_a_target_not_named_like_a_scratch_database()
    {
        var options = new MySqlRestoreOptions { ConnectionString = "Server=127.0.0.1;User ID=x", TargetDatabase = "drcopy", UseScratchUser = true };
        options.Invoking(o => o.Validate()).Should().Throw<ArgumentException>().WithMessage("*12 lower-case hex digits*");
        (options with { TargetDatabase = "dr_0123456789ab" }).Validate();
    }

    [SkippableFact]
    public async Task Events_that_keep_starting_again_are_stopped_before_their_scratch_database_is_dropped()
    {
        // The event scheduler runs a user's events whatever its account's lock, and a running event can enable itself again.
        Skip.If(MariaDbServer.FindServer() is null, "no MariaDB server here");
        await using var server = await MariaDbServer.StartAsync(["--event-scheduler=ON"]);
        var database = "events_source";
        await server.ExecuteAsync(null, $"CREATE DATABASE {database}");
        await server.ExecuteAsync(database, "CREATE TABLE items (id INT PRIMARY KEY); INSERT INTO items VALUES (1), (2);");
        await using var repo = await TestRepository.CreateAsync();
        var snapshot = (await repo.Service.BackupAsync(new MySqlSource(new MySqlSourceOptions { ConnectionString = server.ConnectionString(database), Password = MariaDbServer.Password, Method = MySqlBackupMethod.Dump }))).Snapshot;
        var entry = snapshot.Metadata[$"mysql.entry.{database}"];
        var crafted = await SnapshotSurgery.ChangeFileAsync(repo.Repository, snapshot, entry, dump => dump + """

                CREATE TABLE foothold (t DATETIME(6));
                DELIMITER ;;
                CREATE EVENT spawn ON SCHEDULE EVERY 1 SECOND STARTS CURRENT_TIMESTAMP DO BEGIN
                  DECLARE i INT DEFAULT 0;
                  WHILE i < 3000 DO
                    ALTER EVENT spawn ENABLE;
                    INSERT INTO foothold VALUES (NOW(6));
                    DO SLEEP(0.02);
                    SET i = i + 1;
                  END WHILE;
                END;;
                DELIMITER ;
                DO SLEEP(2);

                """);

        var prefix = "ev";
        var report = await new MySqlVerifier(repo.Repository).VerifyAsync(crafted, VerifyOptions(server, prefix));
        output.WriteLine(report.ToString());
        await Task.Delay(TimeSpan.FromSeconds(2));
        (await server.ScalarAsync(null, $"SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER LIKE '{prefix}\\_%'")).Should().Be(0L, "no thread of the scratch user outlives the test restore");
        (await server.ScalarAsync(null, $"SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE '{prefix}\\_%'")).Should().Be(0L);
        (await server.ScalarAsync(null, $"SELECT COUNT(*) FROM mysql.user WHERE User LIKE '{prefix}\\_%'")).Should().Be(0L);
    }

    [SkippableFact]
    public async Task A_drills_restore_belongs_to_a_scratch_user_until_the_drill_drops_both()
    {
        var (server, _, repo, snapshot, _) = await BackUpAsync(MySqlBackupMethod.Dump);
        await using var _ = repo;
        IDatabaseEngine engine = new MySqlEngine();
        var name = $"dr_{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(6))}";
        var target = new DatabaseRestoreSettings { Location = server.ConnectionString(), Password = MariaDbServer.Password, TargetDatabase = name, ScratchUser = true, EventsDisabled = true };

        await engine.RestoreAsync(repo.Repository, snapshot, target);
        ((long)(await server.ScalarAsync(null, $"SELECT COUNT(*) FROM information_schema.SCHEMA_PRIVILEGES WHERE GRANTEE LIKE '''{name}''@%' AND TABLE_SCHEMA = '{name.Replace("_", "\\\\_", StringComparison.Ordinal)}'"))!).Should().BeGreaterThan(0L);
        (await server.ScalarAsync(null, $"SELECT COUNT(*) FROM information_schema.USER_PRIVILEGES WHERE GRANTEE LIKE '''{name}''@%' AND PRIVILEGE_TYPE <> 'USAGE'")).Should().Be(0L, "it has no global privilege");
        (await engine.CompareAsync(snapshot, target)).Succeeded.Should().BeTrue();

        await engine.DropAsync(target);
        (await server.ScalarAsync(null, $"SELECT COUNT(*) FROM mysql.user WHERE User = '{name}'")).Should().Be(0L);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(4096)]
    public async Task Definers_of_object_headers_become_the_current_user_and_nothing_else_changes(int chunk)
    {
        const string Dump = "/*!50013 DEFINER=`root`@`localhost` SQL SECURITY DEFINER */\nCREATE DEFINER=`a``b`@`%` PROCEDURE `p`()\n"
            + "INSERT INTO `t` VALUES\n('DEFINER=`x`@`y`'),\n('/*!50013 DEFINER=`x`@`y`');\n/*!50003 CREATE*/ /*!50017 DEFINER=`r`*/ /*!50003 TRIGGER x */\n"
            + "CREATE DEFINER=\"ansi\"@\"%\" FUNCTION f() RETURNS INT RETURN 1\n  SET @s = 'DEFINER=`x`@`y`';\nDEFINER=`unended";
        using var sink = new MemoryStream();
        await using (var filter = new MyDumpDefinerFilter(sink))
        {
            var bytes = Encoding.UTF8.GetBytes(Dump);
            for (var i = 0; i < bytes.Length; i += chunk)
            {
                await filter.WriteAsync(bytes.AsMemory(i, Math.Min(chunk, bytes.Length - i)));
            }
        }

        Encoding.UTF8.GetString(sink.ToArray()).Should().Be(
            "/*!50013 DEFINER=CURRENT_USER SQL SECURITY DEFINER */\nCREATE DEFINER=CURRENT_USER PROCEDURE `p`()\n"
            + "INSERT INTO `t` VALUES\n('DEFINER=`x`@`y`'),\n('/*!50013 DEFINER=`x`@`y`');\n/*!50003 CREATE*/ /*!50017 DEFINER=CURRENT_USER*/ /*!50003 TRIGGER x */\n"
            + "CREATE DEFINER=CURRENT_USER FUNCTION f() RETURNS INT RETURN 1\n  SET @s = 'DEFINER=`x`@`y`';\nDEFINER=`unended",
            "only the definers of object headers change, never rows or code");
    }
}
