using System.Text.Json;
using Backup.Providers.Tests.Servers;

namespace Backup.Cli.Tests;

/// <summary>
/// restore --to-mysql CONN --check-roles: before a disaster, the operator asks the MariaDB/MySQL server they would
/// recover into whether it has the accounts the snapshot's database grants privileges to, and nothing is restored.
/// </summary>
public sealed class MySqlAccountCheckCliTests : IClassFixture<MariaDbFixture>, IDisposable
{
    private readonly MariaDbFixture _fixture;
    private readonly CliRunner _cli = new();

    public MySqlAccountCheckCliTests(MariaDbFixture fixture)
    {
        _fixture = fixture;
        _cli.Environment["BACKUP_DB_PASSWORD"] = MariaDbServer.Password;
    }

    public void Dispose() => _cli.Dispose();

    [SkippableFact]
    public async Task Check_roles_of_a_database_that_needs_no_account_still_signs_in_to_the_server()
    {
        var server = _fixture.Require();
        var database = _fixture.NewDatabaseName("cli_accounts_none");
        await server.ExecuteAsync(null, $"CREATE DATABASE {database}; CREATE TABLE {database}.t (id int);");
        await _cli.InitAsync();
        (await _cli.RunAsync("create", "--mysql", server.ConnectionString(database))).ExitCode.Should().Be(0);

        var reachable = await _cli.RunAsync("restore", "latest", "--to-mysql", server.ConnectionString(), "--check-roles");
        var mistyped = await _cli.RunAsync("restore", "latest", "--to-mysql", $"Server=127.0.0.1;Port={ServerProcess.FreePort()};User ID=tester;SslMode=None", "--check-roles");
        var wrongPassword = await _cli.RunAsync(["restore", "latest", "--to-mysql", server.ConnectionString(), "--check-roles"], null,
            new Dictionary<string, string?> { ["BACKUP_DB_PASSWORD"] = "Not-The-Password-55" });

        reachable.ExitCode.Should().Be(0, reachable.Stderr);
        mistyped.ExitCode.Should().Be(1, "a check that never reached the server proves nothing about it");
        mistyped.Stderr.Should().Contain("cannot reach the MySQL/MariaDB server at 127.0.0.1:");
        wrongPassword.ExitCode.Should().Be(1);
        wrongPassword.Stderr.Should().Contain("Access denied").And.NotContain("Not-The-Password-55");
    }

    [SkippableFact]
    public async Task Check_roles_names_the_accounts_the_server_lacks_and_restores_nothing()
    {
        var server = _fixture.Require();
        var account = $"shop_{Guid.NewGuid().ToString("N")[..8]}";
        var database = _fixture.NewDatabaseName("cli_accounts");
        await server.ExecuteAsync(null, $"CREATE DATABASE {database}; CREATE TABLE {database}.sales (id int); CREATE USER '{account}'@'%'; GRANT SELECT, INSERT ON {database}.sales TO '{account}'@'%';");
        await _cli.InitAsync();
        DatabaseCli.SnapshotId(await _cli.RunAsync("create", "--mysql", server.ConnectionString(database), "--json"));
        var target = _fixture.NewDatabaseName("cli_accounts_target");

        var present = await _cli.RunAsync("restore", "latest", "--to-mysql", server.ConnectionString(), "--database", target, "--check-roles");

        present.ExitCode.Should().Be(0, present.Stderr);
        present.Stdout.Should().Contain($"The server has every account database '{database}'").And.Contain($"'{account}'@'%'");

        await server.ExecuteAsync(null, $"DROP USER '{account}'@'%'");

        var lacking = await _cli.RunAsync("restore", "latest", "--to-mysql", server.ConnectionString(), "--database", target, "--check-roles");

        lacking.ExitCode.Should().Be(4, lacking.Stderr);
        lacking.Stderr.Should().Contain($"'{account}'@'%'").And.Contain("SHOW GRANTS FOR").And.Contain("SHOW CREATE USER");
        var json = await _cli.RunAsync("restore", "latest", "--to-mysql", server.ConnectionString(), "--check-roles", "--json");
        json.ExitCode.Should().Be(4, json.Stderr);
        var output = JsonDocument.Parse(json.Stdout).RootElement;
        output.GetProperty("known").GetBoolean().Should().BeTrue();
        output.GetProperty("missing").EnumerateArray().Select(e => e.GetString()).Should().Equal([$"'{account}'@'%'"]);
        (await server.ScalarAsync(null, $"SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '{target}'")).Should().Be(0L, "a check restores nothing");
    }
}
