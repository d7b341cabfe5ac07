using System.Globalization;
using Backup.Providers.Tests.Servers;

namespace Backup.Cli.Tests;

/// <summary>
/// verify --scratch for a PostgreSQL snapshot with a scratch server it cannot use (down, a wrong password, a MariaDB
/// server): the operator's mistake, exit 1 naming the server, not a snapshot that failed its drill (exit 4).
/// </summary>
public sealed class PostgreSqlScratchServerCliTests : IClassFixture<PostgresFixture>, IClassFixture<MariaDbFixture>, IDisposable
{
    private readonly PostgresFixture _postgres;
    private readonly MariaDbFixture _mariaDb;
    private readonly CliRunner _cli = new();

    public PostgreSqlScratchServerCliTests(PostgresFixture postgres, MariaDbFixture mariaDb)
    {
        _postgres = postgres;
        _mariaDb = mariaDb;
        _cli.Environment["BACKUP_DB_PASSWORD"] = PostgresServer.Password;
    }

    public void Dispose() => _cli.Dispose();

    private async Task BackUpAsync(PostgresServer server)
    {
        var database = _postgres.NewDatabaseName("cli_pg_scratch");
        await server.CreateDatabaseAsync(database);
        await server.ExecuteAsync(database, "CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 100) g;");
        await _cli.InitAsync();
        var create = await _cli.RunAsync("create", "--postgres", server.ConnectionString(database));
        create.ExitCode.Should().Be(0, create.Stderr);
    }

    private static void ShouldBeAnErrorAbout(CliResult verify, string endpoint, string cause)
    {
        verify.ExitCode.Should().Be(1, verify.Stderr);
        verify.Stderr.Should().Contain(endpoint).And.Contain(cause);
        verify.Stderr.Should().NotContain("integrity", "nothing was restored, so nothing was found wrong with the snapshot")
            .And.NotContain("drop it by hand", "no scratch database was made");
    }

    [SkippableFact]
    public async Task A_scratch_server_that_is_down_is_an_error_naming_it()
    {
        var server = _postgres.Require();
        await BackUpAsync(server);
        var port = ServerProcess.FreePort().ToString(CultureInfo.InvariantCulture);

        var verify = await _cli.RunAsync("verify", "latest", "--scratch", $"Host=127.0.0.1;Port={port};Username=postgres");

        ShouldBeAnErrorAbout(verify, $"127.0.0.1:{port}", "cannot reach the PostgreSQL server");
        verify.Stderr.Should().Contain("check that it is running");
    }

    [SkippableFact]
    public async Task A_wrong_scratch_password_is_an_error_naming_the_server()
    {
        var server = _postgres.Require();
        await BackUpAsync(server);
        const string wrong = "Wrong-Scratch-Secret-7734";

        var verify = await _cli.RunAsync(["verify", "latest", "--scratch", server.ConnectionString()], null, new() { ["BACKUP_DB_PASSWORD"] = wrong });

        ShouldBeAnErrorAbout(verify, $"127.0.0.1:{server.Port.ToString(CultureInfo.InvariantCulture)}", "password authentication failed");
        verify.Stderr.Should().NotContain(wrong);
        (await server.ScalarAsync("postgres", "SELECT count(*) FROM pg_database WHERE datname LIKE 'backup_verify%'")).Should().Be(0L);
    }

    [SkippableFact]
    public async Task A_scratch_connection_string_naming_a_MariaDB_server_is_an_error_naming_it()
    {
        var server = _postgres.Require();
        var mariaDb = _mariaDb.Require();
        await BackUpAsync(server);
        var port = mariaDb.Port.ToString(CultureInfo.InvariantCulture);

        var verify = await _cli.RunAsync("verify", "latest", "--scratch", $"Host=127.0.0.1;Port={port};Username=postgres;Timeout=10");

        ShouldBeAnErrorAbout(verify, $"127.0.0.1:{port}", "PostgreSQL server");
    }
}
