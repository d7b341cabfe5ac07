using Backup.Core.Snapshots;
using Backup.Providers.MySql;
using Backup.Providers.Tests.Servers;
using Xunit.Abstractions;

namespace Backup.Providers.Tests;

/// <summary>
/// Legitimate schemas a driver-only or parallel snapshot must restore as they were, under another name too: found by a
/// sweep for snapshots the restore's checks might refuse, and for what restored differently without a word.
/// </summary>
public sealed class MySqlDriverFidelityTests(MariaDbFixture fixture, ITestOutputHelper output) : IClassFixture<MariaDbFixture>
{
    [SkippableTheory]
    [InlineData(MySqlBackupMethod.Parallel)]
    [InlineData(MySqlBackupMethod.DriverOnly)]
    public async Task A_server_running_in_ANSI_mode_is_backed_up_in_a_form_the_restore_reads(MySqlBackupMethod method)
    {
        var server = fixture.Require();
        await using var repo = await TestRepository.CreateAsync();
        var database = await CreateAsync(server, "ansi", """
            CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20), KEY items_name (name)) ENGINE = InnoDB;
            INSERT INTO items VALUES (1, 'one'), (2, 'two');
            CREATE VIEW named AS SELECT id, name FROM items;
            """);
        var mode = await server.ScalarAsync(null, "SELECT @@GLOBAL.sql_mode");
        await server.ExecuteAsync(null, "SET GLOBAL sql_mode = 'ANSI'");
        Snapshot snapshot;
        try
        {
            snapshot = await BackUpAsync(server, repo, database, method);
        }
        finally
        {
            await server.ExecuteAsync(null, $"SET GLOBAL sql_mode = '{mode}'");
        }

        var target = await RestoreAsync(server, repo, snapshot, fixture.NewDatabaseName("ansi_restored"));

        (await server.ScalarAsync(target, "SELECT GROUP_CONCAT(name ORDER BY id) FROM named")).Should().Be("one,two");
        (await server.ScalarAsync(null, $"SELECT ENGINE FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{target}' AND TABLE_NAME = 'items'")).Should().Be("InnoDB");
    }

    [SkippableTheory]
    [InlineData(MySqlBackupMethod.Parallel)]
    [InlineData(MySqlBackupMethod.DriverOnly)]
    public async Task Triggers_written_with_their_database_or_a_comment_restore_under_another_name(MySqlBackupMethod method)
    {
        var server = fixture.Require();
        await using var repo = await TestRepository.CreateAsync();
        var database = fixture.NewDatabaseName("qualified");
        await server.ExecuteAsync(null, $"CREATE DATABASE {database}");
        await server.ExecuteAsync(database, $"""
            CREATE TABLE t (n INT, note VARCHAR(40));
            CREATE TRIGGER {database}.tq BEFORE INSERT ON {database}.t FOR EACH ROW SET NEW.n = 5;
            CREATE TRIGGER tc -- keeps the note set
            BEFORE UPDATE ON t FOR EACH ROW SET NEW.note = 'updated';
            """);
        var snapshot = await BackUpAsync(server, repo, database, method);

        var target = await RestoreAsync(server, repo, snapshot, fixture.NewDatabaseName("qualified_restored"));

        await server.ExecuteAsync(target, "INSERT INTO t (n) VALUES (1); UPDATE t SET n = n");
        (await server.ScalarAsync(target, "SELECT CONCAT(n, ' ', note) FROM t")).Should().Be("5 updated", "both triggers were restored into the new database");
        (await server.ScalarAsync(null, $"SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = '{database}'")).Should().Be(2L, "the source keeps its own");
    }

    [SkippableTheory]
    [InlineData(MySqlBackupMethod.Parallel)]
    [InlineData(MySqlBackupMethod.DriverOnly)]
    public async Task An_event_keeps_the_time_zone_its_schedule_is_written_in(MySqlBackupMethod method)
    {
        var server = fixture.Require();
        await using var repo = await TestRepository.CreateAsync();
        var database = fixture.NewDatabaseName("zoned");
        await server.ExecuteAsync(null, $"CREATE DATABASE {database}");
        await server.ExecuteAsync(database, "CREATE TABLE t (n INT); SET time_zone = '+05:00'; CREATE EVENT tick ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 03:00:00' DO UPDATE t SET n = n + 1");
        var snapshot = await BackUpAsync(server, repo, database, method);

        var target = await RestoreAsync(server, repo, snapshot, fixture.NewDatabaseName("zoned_restored"));

        const string Schedule = "SELECT CONCAT(TIME_ZONE, ' ', STARTS) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = '{0}'";
        (await server.ScalarAsync(null, string.Format(System.Globalization.CultureInfo.InvariantCulture, Schedule, target)))
            .Should().Be("+05:00 2030-01-01 03:00:00").And.Be(await server.ScalarAsync(null, string.Format(System.Globalization.CultureInfo.InvariantCulture, Schedule, database)));
    }

    [SkippableTheory]
    [InlineData(MySqlBackupMethod.Parallel)]
    [InlineData(MySqlBackupMethod.DriverOnly)]
    public async Task Deterministic_functions_and_packages_used_by_views_restore_as_they_were(MySqlBackupMethod method)
    {
        // The restore creates routines not deterministic until the views exist, then again as they were: packages
        // (ORACLE mode, dropped in that mode) and functions alike.
        var server = fixture.Require();
        await using var repo = await TestRepository.CreateAsync();
        var database = await CreateAsync(server, "folding", """
            CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(20));
            INSERT INTO t VALUES (1, 'item 1'), (2, 'other');
            CREATE FUNCTION pat() RETURNS VARCHAR(20) DETERMINISTIC RETURN 'item%';
            CREATE VIEW items AS SELECT id FROM t WHERE name LIKE pat();
            SET sql_mode = 'ORACLE';
            CREATE PACKAGE pk AS FUNCTION plus(x INT) RETURN INT DETERMINISTIC; END;
            CREATE PACKAGE BODY pk AS FUNCTION plus(x INT) RETURN INT DETERMINISTIC AS BEGIN RETURN x + 1; END; END;
            CREATE VIEW plussed AS SELECT pk.plus(id) AS p FROM t;
            """);
        var snapshot = await BackUpAsync(server, repo, database, method);

        var target = await RestoreAsync(server, repo, snapshot, fixture.NewDatabaseName("folding_restored"));

        (await server.ScalarAsync(target, "SELECT GROUP_CONCAT(id) FROM items")).Should().Be("1");
        (await server.ScalarAsync(target, "SELECT GROUP_CONCAT(p ORDER BY p) FROM plussed")).Should().Be("2,3");
        (await server.ScalarAsync(null, $"SELECT IS_DETERMINISTIC FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = '{target}' AND ROUTINE_NAME = 'pat'")).Should().Be("YES");
        (await server.ScalarAsync(null, $"SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = '{target}' AND ROUTINE_NAME = 'pk'")).Should().Be(2L, "the package and its body");
    }

    [SkippableFact]
    public async Task A_column_comment_that_mentions_auto_increment_does_not_mislead_the_parallel_restore()
    {
        var server = fixture.Require();
        await using var repo = await TestRepository.CreateAsync();
        var database = await CreateAsync(server, "autoinc", """
            CREATE TABLE orders (tenant INT NOT NULL, note VARCHAR(50) COMMENT 'legacy AUTO_INCREMENT id lives in id', id INT NOT NULL AUTO_INCREMENT,
                PRIMARY KEY (tenant, id), KEY k_id (id), KEY k_note (note)) ENGINE = InnoDB;
            INSERT INTO orders (tenant, note) VALUES (1, 'a'), (2, 'b');
            """);
        var snapshot = await BackUpAsync(server, repo, database, MySqlBackupMethod.Parallel);

        var target = await RestoreAsync(server, repo, snapshot, fixture.NewDatabaseName("autoinc_restored"));

        (await server.ScalarAsync(target, "SELECT COUNT(*) FROM orders")).Should().Be(2L);
        (await server.ScalarAsync(null, $"SELECT COUNT(DISTINCT INDEX_NAME) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = '{target}' AND TABLE_NAME = 'orders'")).Should().Be(3L);
    }

    [SkippableFact]
    public async Task A_row_larger_than_the_servers_packet_limit_fails_the_restore_saying_how_to_raise_it()
    {
        var server = fixture.Require();
        await using var repo = await TestRepository.CreateAsync();
        var database = await CreateAsync(server, "packet", "CREATE TABLE files (id INT PRIMARY KEY, data LONGBLOB); INSERT INTO files VALUES (1, REPEAT(X'41', 700000));");
        var snapshot = await BackUpAsync(server, repo, database, MySqlBackupMethod.Parallel);
        var limit = await server.ScalarAsync(null, "SELECT @@GLOBAL.max_allowed_packet");
        await server.ExecuteAsync(null, "SET GLOBAL max_allowed_packet = 1048576");
        try
        {
            var restore = () => RestoreAsync(server, repo, snapshot, fixture.NewDatabaseName("packet_restored"));

            var failure = (await restore.Should().ThrowAsync<DatabaseRestoreException>()).Which;
            output.WriteLine(failure.Message);
            failure.Message.Should().Contain("more than the server's max_allowed_packet").And.Contain("SET GLOBAL max_allowed_packet");
        }
        finally
        {
            await server.ExecuteAsync(null, $"SET GLOBAL max_allowed_packet = {limit}");
        }
    }

    private async Task<string> CreateAsync(MariaDbServer server, string prefix, string schema)
    {
        var database = fixture.NewDatabaseName(prefix);
        await server.ExecuteAsync(null, $"CREATE DATABASE {database}");
        await server.ExecuteAsync(database, schema);
        return database;
    }

    private static async Task<Snapshot> BackUpAsync(MariaDbServer server, TestRepository repo, string database, MySqlBackupMethod method)
    {
        return (await repo.Service.BackupAsync(new MySqlSource(new MySqlSourceOptions
        {
            ConnectionString = server.ConnectionString(database),
            Password = MariaDbServer.Password,
            Method = method,
            ClientToolsDirectory = "/nonexistent",
        }))).Snapshot;
    }

    private static async Task<string> RestoreAsync(MariaDbServer server, TestRepository repo, Snapshot snapshot, string target)
    {
        await new MySqlRestorer(repo.Repository).RestoreAsync(snapshot, new MySqlRestoreOptions
        {
            ConnectionString = server.ConnectionString(),
            Password = MariaDbServer.Password,
            TargetDatabase = target,
            Jobs = 2,
        });
        return target;
    }
}
