using Backup.Core.Pipeline;
using Backup.Providers.MySql;
using Backup.Providers.Tests.Servers;
using MySqlConnector;
using Xunit.Abstractions;

namespace Backup.Providers.Tests;

public sealed class MySqlTests(MariaDbFixture fixture, ITestOutputHelper output) : IClassFixture<MariaDbFixture>
{
    private const string ManyTypesSchema = """
        CREATE TABLE kinds (
            id INT AUTO_INCREMENT PRIMARY KEY, n DECIMAL(30, 10), i BIGINT, f DOUBLE, t TEXT, vc VARCHAR(60),
            b BLOB, j JSON, dt DATETIME(6), ts TIMESTAMP NULL, d DATE, e ENUM('a', 'b', 'c'), bits BIT(8), nothing TEXT,
            KEY kinds_vc (vc)) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
        CREATE TABLE audit (id INT AUTO_INCREMENT PRIMARY KEY, kind_id INT) ENGINE = InnoDB;
        CREATE TRIGGER kinds_audit AFTER INSERT ON kinds FOR EACH ROW INSERT INTO audit (kind_id) VALUES (NEW.id);
        CREATE FUNCTION twice(x INT) RETURNS INT DETERMINISTIC RETURN x * 2;
        CREATE PROCEDURE count_kinds(OUT c INT) SELECT COUNT(*) INTO c FROM kinds;
        CREATE VIEW kinds_view AS SELECT id, vc, twice(id) AS doubled FROM kinds;
        CREATE EVENT nightly ON SCHEDULE EVERY 1 DAY DISABLE DO DELETE FROM audit WHERE id < 0;
        INSERT INTO kinds (n, i, f, t, vc, b, j, dt, ts, d, e, bits)
        SELECT seq * 1.0000000001, seq * 1000000007, seq / 3, CONCAT('héllo wörld ✓ 日本語 🎉 ', seq), CONCAT('v', seq),
               UNHEX(CONCAT(MD5(seq), '00FF')), JSON_OBJECT('k', seq, 'arr', JSON_ARRAY(seq, 'x')),
               TIMESTAMPADD(MINUTE, seq, '2024-03-31 01:30:00.123456'), FROM_UNIXTIME(1700000000 + seq), DATE_ADD('2000-02-29', INTERVAL seq DAY),
               ELT(1 + seq % 3, 'a', 'b', 'c'), seq % 256
        FROM seq_1_to_500;
        """;

    private static MySqlSourceOptions SourceOptions(MariaDbServer server, string database) => new()
    {
        ConnectionString = server.ConnectionString(database),
        Password = MariaDbServer.Password,
    };

    private static async Task<List<TableChecksum>> MeasureAsync(MariaDbServer server, string database)
    {
        await using var connection = await server.OpenAsync(database);
        await using (var settings = new MySqlCommand(MyChecksums.SessionSettings, connection))
        {
            await settings.ExecuteNonQueryAsync();
        }

        return await MyChecksums.MeasureAsync(connection, database, CancellationToken.None);
    }

    private async Task<string> CreateManyTypesAsync(MariaDbServer server, string prefix)
    {
        var database = fixture.NewDatabaseName(prefix);
        await server.ExecuteAsync(null, $"CREATE DATABASE {database}");
        await server.ExecuteAsync(database, ManyTypesSchema);
        return database;
    }

    [SkippableFact]
    public async Task A_database_with_many_types_round_trips_into_a_new_database_with_identical_checksums()
    {
        var server = fixture.Require();
        var database = await CreateManyTypesAsync(server, "types");
        await using var repo = await TestRepository.CreateAsync();

        var result = await repo.Service.BackupAsync(new MySqlSource(SourceOptions(server, database)));

        result.Snapshot.SourceKind.Should().Be("mysql");
        result.Snapshot.Metadata["mysql.checksum_snapshot"].Should().Be("same");
        result.Snapshot.Metadata["mysql.server_version"].Should().Contain("MariaDB");
        var recorded = ChecksumMetadata.Read(result.Snapshot.Metadata, "mysql", database)!;
        recorded.Should().Contain(t => t.Table == "kinds" && t.Rows == 500).And.Contain(t => t.Table == "audit" && t.Rows == 500);

        var target = fixture.NewDatabaseName("types_restored");
        var restored = await new MySqlRestorer(repo.Repository).RestoreAsync(result.Snapshot.Id.ToString(), new MySqlRestoreOptions
        {
            ConnectionString = server.ConnectionString(target),
            Password = MariaDbServer.Password,
        });

        output.WriteLine($"dump {restored.Bytes} bytes restored in {restored.Duration.TotalMilliseconds:F0} ms");
        ChecksumMetadata.Compare(database, recorded, await MeasureAsync(server, target)).Should().BeEmpty();
        (await server.ScalarAsync(target, "SELECT doubled FROM kinds_view WHERE id = 21")).Should().Be(42);
        await server.ExecuteAsync(target, "INSERT INTO kinds (vc) VALUES ('after restore')");
        (await server.ScalarAsync(target, "SELECT COUNT(*) FROM audit")).Should().Be(501L, "the trigger was restored and fires");
        (await server.ScalarAsync(target, "SELECT COUNT(*) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE()")).Should().Be(1L);
        (await server.ScalarAsync(target, "SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE()")).Should().Be(2L);
        (await server.ScalarAsync(target, "SELECT vc FROM kinds WHERE t LIKE '%🎉 7'")).Should().Be("v7");
    }

    [SkippableFact]
    public async Task A_wrong_password_or_a_missing_database_fails_clearly_and_writes_no_snapshot()
    {
        var server = fixture.Require();
        await using var repo = await TestRepository.CreateAsync();
        const string wrong = "Wrong-Secret-4242";

        var badPassword = () => repo.Service.BackupAsync(new MySqlSource(SourceOptions(server, "mysql") with { Password = wrong }));
        var error = (await badPassword.Should().ThrowAsync<BackupSourceException>()).Which;
        output.WriteLine(error.Message);
        error.Message.Should().Contain("Access denied").And.NotContain(wrong);

        var missing = () => repo.Service.BackupAsync(new MySqlSource(SourceOptions(server, "no_such_db")));
        (await missing.Should().ThrowAsync<BackupSourceException>()).Which.Message.Should().Contain("no_such_db");

        (await repo.CountSnapshotsAsync()).Should().Be(0);
    }

    [SkippableFact]
    public async Task A_server_that_stops_mid_dump_fails_the_backup_and_writes_no_snapshot()
    {
        fixture.Require();
        await using var server = await MariaDbServer.StartAsync();
        await server.ExecuteAsync(null, "CREATE DATABASE big");
        await server.ExecuteAsync("big", "CREATE TABLE t (id INT PRIMARY KEY, payload TEXT) ENGINE = InnoDB; INSERT INTO t SELECT seq, REPEAT(MD5(seq), 8) FROM seq_1_to_160000;");
        await using var repo = await TestRepository.CreateAsync();

        var source = new StopOnFirstRead(new MySqlSource(SourceOptions(server, "big") with { RecordChecksums = false }), server.StopAsync);
        var act = () => repo.Service.BackupAsync(source);

        var error = (await act.Should().ThrowAsync<BackupSourceException>()).Which;
        output.WriteLine(error.Message);
        error.Message.Should().Contain("dump of 'big' failed").And.NotContain(MariaDbServer.Password);
        (await repo.CountSnapshotsAsync()).Should().Be(0);
    }

    [SkippableFact]
    public async Task Restoring_over_an_existing_database_needs_clean_and_then_brings_back_the_backed_up_state()
    {
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("over");
        await server.ExecuteAsync(null, $"CREATE DATABASE {database}");
        await server.ExecuteAsync(database, "CREATE TABLE keep (id INT PRIMARY KEY, v TEXT); INSERT INTO keep SELECT seq, CONCAT('k', seq) FROM seq_1_to_100;");
        await using var repo = await TestRepository.CreateAsync();
        var snapshot = (await repo.Service.BackupAsync(new MySqlSource(SourceOptions(server, database)))).Snapshot;
        await server.ExecuteAsync(database, "DELETE FROM keep WHERE id > 10; CREATE TABLE extra (x INT);");
        var restorer = new MySqlRestorer(repo.Repository);
        var options = new MySqlRestoreOptions { ConnectionString = server.ConnectionString(database), Password = MariaDbServer.Password };

        var refused = () => restorer.RestoreAsync(snapshot, options);
        var exists = (await refused.Should().ThrowAsync<DatabaseRestoreException>()).Which;
        exists.Message.Should().Be($"Database '{database}' already exists; restore over it with Clean or into another TargetDatabase.");
        exists.Remedy.Should().Be(DatabaseRestoreRemedy.CleanOrAnotherTarget);
        await restorer.RestoreAsync(snapshot, options with { Clean = true });

        (await server.ScalarAsync(database, "SELECT COUNT(*) FROM keep")).Should().Be(100L);
        (await server.ScalarAsync(database, $"SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{database}' AND TABLE_NAME = 'extra'")).Should().Be(0L);
    }

    [SkippableFact]
    public async Task Verification_passes_reports_the_restore_time_and_catches_a_tampered_restore()
    {
        var server = fixture.Require();
        var database = await CreateManyTypesAsync(server, "verify");
        await using var repo = await TestRepository.CreateAsync();
        var snapshot = (await repo.Service.BackupAsync(new MySqlSource(SourceOptions(server, database)))).Snapshot;
        var verifier = new MySqlVerifier(repo.Repository);
        var options = new MySqlVerifyOptions { ConnectionString = server.ConnectionString(), Password = MariaDbServer.Password };

        var good = await verifier.VerifyAsync(snapshot, options);
        output.WriteLine(good.ToString());
        good.Succeeded.Should().BeTrue();
        good.TablesCompared.Should().Be(2);
        good.RestoreDuration.Should().BePositive();

        var tampered = await verifier.VerifyAsync(snapshot, options with
        {
            AfterRestore = async (connection, _, ct) =>
            {
                await using var command = new MySqlCommand("UPDATE kinds SET vc = 'tampered' WHERE id = 7", connection);
                await command.ExecuteNonQueryAsync(ct);
            },
        });
        output.WriteLine(tampered.ToString());
        tampered.Succeeded.Should().BeFalse();
        tampered.FailedTables.Should().Equal("kinds");
        (await server.ScalarAsync(null, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'backup_verify%'")).Should().Be(0L);
    }
    [SkippableFact]
    public async Task Driver_only_mode_round_trips_many_types_and_the_schema_without_client_tools()
    {
        var server = fixture.Require();
        var database = await CreateManyTypesAsync(server, "driver");
        await server.ExecuteAsync(database, """
            CREATE TABLE tricky (
                id INT PRIMARY KEY, raw VARBINARY(64), empty_blob BLOB, line TEXT, latin VARCHAR(40) CHARACTER SET latin1, y YEAR, tm TIME(3),
                s SET('x', 'y', 'z'), fl FLOAT, total INT AS (id * 10) STORED, half INT AS (id DIV 2) VIRTUAL, KEY tricky_line (line(10))) ENGINE = InnoDB;
            CREATE TABLE child (id INT PRIMARY KEY, tricky_id INT, FOREIGN KEY (tricky_id) REFERENCES tricky (id)) ENGINE = InnoDB;
            INSERT INTO tricky (id, raw, empty_blob, line, latin, y, tm, s, fl) VALUES
                (1, UNHEX('00FF0A0D5C27225A'), '', 'two\nlines\r\nand a tab\t, a quote '' and a backslash \\ and NUL \0 end', 'café', 2024, '-838:59:59.000', 'x,z', 1.5),
                (2, NULL, NULL, NULL, NULL, NULL, NULL, '', NULL),
                (0, '', '', '', '', 1901, '00:00:00.001', 'y', -0.25);
            INSERT INTO child VALUES (1, 1), (2, 0);
            CREATE VIEW over_view AS SELECT id, doubled FROM kinds_view WHERE id < 10;
            """);
        await using var repo = await TestRepository.CreateAsync();

        var snapshot = (await repo.Service.BackupAsync(new MySqlSource(SourceOptions(server, database) with
        {
            Method = MySqlBackupMethod.DriverOnly,
            ClientToolsDirectory = "/nonexistent",
            InsertBatchBytes = 4096,
        }))).Snapshot;

        snapshot.Metadata["mysql.method"].Should().Be("driver");
        snapshot.Metadata["mysql.checksum_snapshot"].Should().Be("same");
        var recorded = ChecksumMetadata.Read(snapshot.Metadata, "mysql", database)!;
        recorded.Should().Contain(t => t.Table == "kinds" && t.Rows == 500).And.Contain(t => t.Table == "tricky" && t.Rows == 3);
        var target = fixture.NewDatabaseName("driver_restored");
        await server.ExecuteAsync(null, $"DROP DATABASE {database}"); // the restore must not lean on the original

        var restored = await new MySqlRestorer(repo.Repository).RestoreAsync(snapshot, new MySqlRestoreOptions
        {
            ConnectionString = server.ConnectionString(target),
            Password = MariaDbServer.Password,
            ClientToolsDirectory = "/nonexistent",
        });

        output.WriteLine($"driver-only dump {restored.Bytes} bytes restored in {restored.Duration.TotalMilliseconds:F0} ms");
        ChecksumMetadata.Compare(database, recorded, await MeasureAsync(server, target)).Should().BeEmpty();
        (await server.ScalarAsync(target, "SELECT HEX(raw) FROM tricky WHERE id = 1")).Should().Be("00FF0A0D5C27225A");
        (await server.ScalarAsync(target, "SELECT line FROM tricky WHERE id = 1")).Should().Be("two\nlines\r\nand a tab\t, a quote ' and a backslash \\ and NUL \0 end");
        (await server.ScalarAsync(target, "SELECT total + half FROM tricky WHERE id = 1")).Should().Be(10L, "generated columns are recomputed");
        (await server.ScalarAsync(target, "SELECT COUNT(*) FROM tricky WHERE id = 0")).Should().Be(1L, "a zero in a key column stays zero");
        (await server.ScalarAsync(target, "SELECT doubled FROM over_view WHERE id = 4")).Should().Be(8, "views (over views and functions) were restored");
        (await server.ScalarAsync(target, "SELECT vc FROM kinds WHERE t LIKE '%🎉 7'")).Should().Be("v7");
        (await server.ScalarAsync(target, "SELECT JSON_VALUE(j, '$.arr[1]') FROM kinds WHERE id = 3")).Should().Be("x");
        await server.ExecuteAsync(target, "INSERT INTO kinds (vc) VALUES ('after restore')");
        Convert.ToInt32(await server.ScalarAsync(target, "SELECT MAX(id) FROM kinds"), System.Globalization.CultureInfo.InvariantCulture).Should().BeGreaterThan(500, "AUTO_INCREMENT continues after the restored rows");
        (await server.ScalarAsync(target, "SELECT COUNT(*) FROM audit")).Should().Be(501L, "the trigger was restored after the rows, and fires");
        (await server.ScalarAsync(target, "SELECT COUNT(*) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE()")).Should().Be(1L);
        (await server.ScalarAsync(target, "SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE()")).Should().Be(2L);
        var orphan = () => server.ExecuteAsync(target, "INSERT INTO child VALUES (3, 99)");
        await orphan.Should().ThrowAsync<MySqlException>("the foreign key was restored");

        var report = await new MySqlVerifier(repo.Repository).VerifyAsync(snapshot, new MySqlVerifyOptions { ConnectionString = server.ConnectionString(), Password = MariaDbServer.Password, ClientToolsDirectory = "/nonexistent" });
        output.WriteLine(report.ToString());
        report.Succeeded.Should().BeTrue();
        report.TablesCompared.Should().Be(4);
    }
}
