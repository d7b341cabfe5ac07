using System.Text.Json;
using Backup.Providers.Tests.Servers;

namespace Backup.Cli.Tests;

/// <summary>create --mysql, restore --to-mysql and verify --scratch against a real MariaDB server, with the dump tools and driver-only.</summary>
public sealed class MySqlCliTests : IClassFixture<MariaDbFixture>, IDisposable
{
    private const string Schema = """
        CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(80), price DECIMAL(12, 4), payload BLOB, doc JSON, seen TIMESTAMP NULL) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
        INSERT INTO items SELECT seq, CONCAT('item ', seq, ' ✓ 🎉'), seq * 1.0001, UNHEX(MD5(seq)), JSON_OBJECT('n', seq), FROM_UNIXTIME(1700000000 + seq) FROM seq_1_to_1500;
        CREATE VIEW cheap AS SELECT id, name FROM items WHERE price < 10;
        CREATE EVENT tidy ON SCHEDULE EVERY 1 HOUR DO DELETE FROM items WHERE id > 100000;
        """;

    private const string Fingerprint = "SELECT MD5(GROUP_CONCAT(CONCAT_WS('|', id, name, price, HEX(payload), doc, seen) ORDER BY id SEPARATOR ',')) FROM items";

    private readonly MariaDbFixture _fixture;
    private readonly CliRunner _cli = new();

    public MySqlCliTests(MariaDbFixture fixture)
    {
        _fixture = fixture;
        _cli.Environment["BACKUP_DB_PASSWORD"] = MariaDbServer.Password;
    }

    public void Dispose() => _cli.Dispose();

    private async Task<string> CreateDatabaseAsync(MariaDbServer server, string prefix)
    {
        var database = _fixture.NewDatabaseName(prefix);
        await server.ExecuteAsync(null, $"CREATE DATABASE {database}");
        await server.ExecuteAsync(database, "SET SESSION group_concat_max_len = 1048576;" + Schema);
        return database;
    }

    private static async Task<object?> FingerprintAsync(MariaDbServer server, string database) =>
        await server.ScalarAsync(database, "SET SESSION group_concat_max_len = 16777216, time_zone = '+00:00'; " + Fingerprint);

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Create_mysql_then_restore_to_mysql_gives_the_same_rows(bool driverOnly)
    {
        var server = _fixture.Require();
        var database = await CreateDatabaseAsync(server, driverOnly ? "cli_my_driver" : "cli_my");
        await _cli.InitAsync();

        var create = await _cli.RunAsync(["create", "--mysql", server.ConnectionString(database), "--json", .. driverOnly ? new[] { "--driver-only" } : []]);
        DatabaseCli.SnapshotId(create);
        var target = _fixture.NewDatabaseName("cli_my_restored");
        var restore = await _cli.RunAsync("restore", "latest", "--to-mysql", server.ConnectionString(), "--database", target);

        restore.ExitCode.Should().Be(0, restore.Stderr);
        (await FingerprintAsync(server, target)).Should().NotBeNull().And.Be(await FingerprintAsync(server, database));
        (await server.ScalarAsync(target, "SELECT COUNT(*) FROM cheap")).Should().Be(await server.ScalarAsync(database, "SELECT COUNT(*) FROM cheap"));
        (await server.ScalarAsync(null, $"SELECT STATUS FROM information_schema.EVENTS WHERE EVENT_SCHEMA = '{target}'")).Should().Be("ENABLED", "a restore brings events back as they were");
        var beside = target + "_beside";
        var disabled = await _cli.RunAsync("restore", "latest", "--to-mysql", server.ConnectionString(), "--database", beside, "--events-disabled");
        disabled.ExitCode.Should().Be(0, disabled.Stderr);
        (await server.ScalarAsync(null, $"SELECT STATUS FROM information_schema.EVENTS WHERE EVENT_SCHEMA = '{beside}'")).Should().Be("DISABLED", "a copy restored beside the original must not run its jobs");
        (await FingerprintAsync(server, beside)).Should().Be(await FingerprintAsync(server, database));

        var verify = await _cli.RunAsync("verify", "latest", "--scratch", server.ConnectionString(), "--json");
        verify.ExitCode.Should().Be(0, verify.Stderr);
        var root = JsonDocument.Parse(verify.Stdout).RootElement;
        root.GetProperty("success").GetBoolean().Should().BeTrue();
        root.GetProperty("sourceKind").GetString().Should().Be("mysql");
        root.GetProperty("tablesCompared").GetInt32().Should().Be(1);

        var selective = await _cli.RunAsync("restore", "latest", "--to-mysql", server.ConnectionString(), "--database", target + "_t", "--table", "items");
        selective.ExitCode.Should().Be(2);
        selective.Stderr.Should().Contain("--table works with --to-postgres only");
    }

    [SkippableFact]
    public async Task A_missing_password_or_an_unknown_database_fails_clearly_and_stores_no_snapshot()
    {
        var server = _fixture.Require();
        await _cli.InitAsync();

        var noPassword = await _cli.RunAsync(["create", "--mysql", server.ConnectionString("mysql")], null, new() { ["BACKUP_DB_PASSWORD"] = null, ["MYSQL_PWD"] = null });
        var unknown = await _cli.RunAsync("create", "--mysql", server.ConnectionString("no_such_database"), "--driver-only");

        noPassword.ExitCode.Should().Be(1);
        noPassword.Stderr.Should().Contain("Access denied").And.Contain("BACKUP_DB_PASSWORD");
        unknown.ExitCode.Should().Be(1);
        unknown.Stderr.Should().Contain("no_such_database");
        (await DatabaseCli.CountSnapshotsAsync(_cli)).Should().Be(0);
    }

    /// <summary>
    /// Error 1045 used to come as the driver's bare "Access denied for user …": it names the server, the account, and
    /// what to check, the password's source among them, for backups and restores alike.
    /// </summary>
    [SkippableFact]
    public async Task A_wrong_password_names_the_server_the_account_and_where_the_password_came_from()
    {
        var server = _fixture.Require();
        var database = await CreateDatabaseAsync(server, "cli_my_wrong_password");
        await _cli.InitAsync();
        (await _cli.RunAsync("create", "--mysql", server.ConnectionString(database))).ExitCode.Should().Be(0);
        var wrong = new Dictionary<string, string?> { ["BACKUP_DB_PASSWORD"] = "Not-The-Password-44" };
        var target = _fixture.NewDatabaseName("cli_my_wrong_password_restored");

        var results = new[]
        {
            await _cli.RunAsync(["create", "--mysql", server.ConnectionString(database)], null, wrong),
            await _cli.RunAsync(["create", "--mysql", server.ConnectionString(database), "--driver-only"], null, wrong),
            await _cli.RunAsync(["restore", "latest", "--to-mysql", server.ConnectionString(target)], null, wrong),
        };

        foreach (var result in results)
        {
            result.ExitCode.Should().Be(1, result.Stderr);
            result.Stderr.Should().Contain($"the MariaDB/MySQL server at 127.0.0.1:{server.Port} refused the login (error 1045: Access denied for user 'tester'@'127.0.0.1'")
                .And.Contain("the host part").And.Contain("The password used came from $BACKUP_DB_PASSWORD").And.NotContain("Not-The-Password-44");
        }

        (await DatabaseCli.CountSnapshotsAsync(_cli)).Should().Be(1);
        (await server.ScalarAsync(null, $"SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '{target}'")).Should().Be(0L);
    }

    /// <summary>
    /// A statement of the snapshot the server refuses once the tool is signed in ("Access denied; you need the SUPER
    /// privilege" for a view's DEFINER, as a user without it meets) is no sign-in failure: the error must not send the
    /// operator to the password, which the server accepted.
    /// </summary>
    [SkippableFact]
    public async Task A_statement_refused_during_a_restore_is_not_blamed_on_the_password()
    {
        var server = _fixture.Require();
        var database = await CreateDatabaseAsync(server, "cli_my_definer");
        await _cli.InitAsync();
        (await _cli.RunAsync("create", "--mysql", server.ConnectionString(database))).ExitCode.Should().Be(0);
        var target = _fixture.NewDatabaseName("cli_my_definer_restored");
        var user = _fixture.NewDatabaseName("limited");
        const string LimitedPassword = "Limited-Password-71";
        await server.ExecuteAsync(null, $"CREATE USER '{user}'@'%' IDENTIFIED BY '{LimitedPassword}'; GRANT ALL ON `{target}`.* TO '{user}'@'%'");
        var asLimited = $"Server=127.0.0.1;Port={server.Port};User ID={user};SslMode=None;Database={target}";

        var restore = await _cli.RunAsync(["restore", "latest", "--to-mysql", asLimited], null, new() { ["BACKUP_DB_PASSWORD"] = LimitedPassword });

        restore.ExitCode.Should().Be(1, restore.Stderr);
        restore.Stderr.Should().Contain("Access denied", "the view's DEFINER needs a privilege the user lacks")
            .And.NotContain("The password used came from").And.NotContain("Give the tool the password");
    }

    /// <summary>An existing database without --clean is refused before anything is done, as it is for SQLite and PostgreSQL: exit 2, saying what --clean drops.</summary>
    [SkippableFact]
    public async Task Restoring_over_an_existing_database_without_clean_is_a_usage_error_that_says_what_clean_drops()
    {
        var server = _fixture.Require();
        var database = await CreateDatabaseAsync(server, "cli_my_exists");
        await _cli.InitAsync();
        (await _cli.RunAsync("create", "--mysql", server.ConnectionString(database))).ExitCode.Should().Be(0);
        await server.ExecuteAsync(database, "CREATE TABLE kept_until_clean (id INT)");

        var refused = await _cli.RunAsync("restore", "latest", "--to-mysql", server.ConnectionString(database));

        refused.ExitCode.Should().Be(2, refused.Stderr);
        refused.Stderr.Should().StartWith($"backup: usage error: Database '{database}' already exists (nothing was changed). --clean restores over it: it drops the whole database")
            .And.Contain("--database NAME");
        (await server.ScalarAsync(database, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'kept_until_clean'")).Should().Be(1L);
    }

    /// <summary>
    /// A driver-only backup stops at what it does not cover (a SEQUENCE here); the library says to use
    /// MySqlBackupMethod.Dump, which an operator of the tool cannot set: the tool says to leave out --driver-only.
    /// </summary>
    [SkippableFact]
    public async Task A_driver_only_backup_of_what_it_does_not_cover_says_to_leave_out_driver_only()
    {
        var server = _fixture.Require();
        var database = _fixture.NewDatabaseName("cli_my_seq");
        await server.ExecuteAsync(null, $"CREATE DATABASE {database}");
        await server.ExecuteAsync(database, "CREATE SEQUENCE numbers");
        await _cli.InitAsync();

        var create = await _cli.RunAsync("create", "--mysql", server.ConnectionString(database), "--driver-only");

        create.ExitCode.Should().Be(1, create.Stderr);
        create.Stderr.Should().Contain($"'{database}.numbers'").And.Contain("leave out --driver-only").And.NotContain("MySqlBackupMethod");
        (await DatabaseCli.CountSnapshotsAsync(_cli)).Should().Be(0);
    }
}
