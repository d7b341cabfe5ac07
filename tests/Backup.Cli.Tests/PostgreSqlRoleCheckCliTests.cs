using System.Text.Json;
using Backup.Providers.Tests.Servers;

namespace Backup.Cli.Tests;

/// <summary>
/// restore --to-postgres CONN --check-roles: before a disaster, the operator asks the server they would recover into
/// whether it has the roles the snapshot's database grants to, and nothing is restored.
/// </summary>
public sealed class PostgreSqlRoleCheckCliTests : IClassFixture<PostgresFixture>, IDisposable
{
    private readonly PostgresFixture _fixture;
    private readonly CliRunner _cli = new();

    public PostgreSqlRoleCheckCliTests(PostgresFixture fixture)
    {
        _fixture = fixture;
        _cli.Environment["BACKUP_DB_PASSWORD"] = PostgresServer.Password;
    }

    public void Dispose() => _cli.Dispose();

    [SkippableFact]
    public async Task Check_roles_of_a_database_that_needs_none_still_signs_in_to_the_server()
    {
        var server = _fixture.Require();
        var database = _fixture.NewDatabaseName("cli_roles_none");
        await server.CreateDatabaseAsync(database);
        await server.ExecuteAsync(database, "CREATE TABLE t (id int);");
        await _cli.InitAsync();
        (await _cli.RunAsync("create", "--postgres", server.ConnectionString(database))).ExitCode.Should().Be(0);

        var reachable = await _cli.RunAsync("restore", "latest", "--to-postgres", server.ConnectionString(), "--check-roles");
        var mistyped = await _cli.RunAsync("restore", "latest", "--to-postgres", $"Host=127.0.0.1;Port={ServerProcess.FreePort()};Username=postgres", "--check-roles");
        var wrongPassword = await _cli.RunAsync(["restore", "latest", "--to-postgres", server.ConnectionString(), "--check-roles"], null,
            new Dictionary<string, string?> { ["BACKUP_DB_PASSWORD"] = "Not-The-Password-55" });

        reachable.ExitCode.Should().Be(0, reachable.Stderr);
        mistyped.ExitCode.Should().Be(1, "a check that never reached the server proves nothing about it");
        mistyped.Stderr.Should().Contain("cannot reach the PostgreSQL server at 127.0.0.1:");
        wrongPassword.ExitCode.Should().Be(1);
        wrongPassword.Stderr.Should().Contain("refused the sign-in").And.NotContain("Not-The-Password-55");
    }

    [SkippableFact]
    public async Task Check_roles_names_the_roles_the_server_lacks_and_restores_nothing()
    {
        var server = _fixture.Require();
        var role = $"analyst_{Guid.NewGuid().ToString("N")[..8]}";
        await server.ExecuteAsync("postgres", $"CREATE ROLE {role} NOLOGIN");
        var database = _fixture.NewDatabaseName("cli_roles");
        await server.CreateDatabaseAsync(database);
        await server.ExecuteAsync(database, $"CREATE TABLE sales (id int); GRANT SELECT ON sales TO {role};");
        await _cli.InitAsync();
        DatabaseCli.SnapshotId(await _cli.RunAsync("create", "--postgres", server.ConnectionString(database), "--json"));
        var target = _fixture.NewDatabaseName("cli_roles_target");

        var present = await _cli.RunAsync("restore", "latest", "--to-postgres", server.ConnectionString(), "--database", target, "--check-roles");

        present.ExitCode.Should().Be(0, present.Stderr);
        present.Stdout.Should().Contain($"The server has every role database '{database}'").And.Contain(role);

        await server.ExecuteAsync(database, $"DROP OWNED BY {role}");
        await server.ExecuteAsync("postgres", $"DROP ROLE {role}");

        var lacking = await _cli.RunAsync("restore", "latest", "--to-postgres", server.ConnectionString(), "--database", target, "--check-roles");

        lacking.ExitCode.Should().Be(4, lacking.Stderr);
        lacking.Stderr.Should().Contain($"'{role}'").And.Contain($"CREATE ROLE \"{role}\";").And.Contain("globals.sql");
        var json = await _cli.RunAsync("restore", "latest", "--to-postgres", server.ConnectionString(), "--check-roles", "--json");
        json.ExitCode.Should().Be(4, json.Stderr);
        var output = JsonDocument.Parse(json.Stdout).RootElement;
        output.GetProperty("known").GetBoolean().Should().BeTrue();
        output.GetProperty("missing").EnumerateArray().Select(e => e.GetString()).Should().Equal([role]);
        (await server.ScalarAsync("postgres", $"SELECT count(*) FROM pg_database WHERE datname = '{target}'")).Should().Be(0L, "a check restores nothing");
    }
}
