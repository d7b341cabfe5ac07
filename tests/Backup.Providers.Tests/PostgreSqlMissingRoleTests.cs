using Backup.Providers.PostgreSql;
using Backup.Providers.Tests.Servers;

namespace Backup.Providers.Tests;

/// <summary>
/// A disaster recovery restores a one-database snapshot into a new server, which lacks the roles the old one had:
/// the restore stops at the first GRANT to one of them. The error must say why and what to do, not only PostgreSQL's
/// bare "role … does not exist", and the restore must go through once the role exists.
/// </summary>
public sealed class PostgreSqlMissingRoleTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    [SkippableTheory]
    [InlineData(PostgreSqlBackupMethod.Parallel)]
    [InlineData(PostgreSqlBackupMethod.PgDump)]
    [InlineData(PostgreSqlBackupMethod.DriverOnly)]
    public async Task A_restore_into_a_server_without_a_granted_role_says_to_create_it_and_then_restores(PostgreSqlBackupMethod method)
    {
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("grants");
        var role = "app_" + Guid.NewGuid().ToString("N")[..8];
        await server.ExecuteAsync("postgres", $"CREATE ROLE {role} NOLOGIN");
        await server.CreateDatabaseAsync(database);
        await server.ExecuteAsync(database, $"CREATE TABLE orders (id int PRIMARY KEY); INSERT INTO orders SELECT generate_series(1, 10); GRANT SELECT ON orders TO {role};");
        await using var repo = await TestRepository.CreateAsync();
        var source = new PostgreSqlSourceOptions { ConnectionString = server.ConnectionString(database), Password = PostgresServer.Password, Method = method };
        var snapshot = (await repo.Service.BackupAsync(new PostgreSqlSource(source))).Snapshot;

        // The new server: the role went with the old one.
        await server.ExecuteAsync(database, $"REVOKE ALL ON orders FROM {role}");
        await server.ExecuteAsync("postgres", $"DROP ROLE {role}");
        var restorer = new PostgreSqlRestorer(repo.Repository);
        var target = fixture.NewDatabaseName("grants_restored");
        var options = new PostgreSqlRestoreOptions { ConnectionString = server.ConnectionString(target), Password = PostgresServer.Password };

        var failed = () => restorer.RestoreAsync(snapshot, options);

        var failure = (await failed.Should().ThrowExactlyAsync<DatabaseRestoreException>()).Which;
        failure.Message.Should().Contain($"The server has no role '{role}'")
            .And.Contain("a snapshot of one database holds none")
            .And.Contain($"CREATE ROLE \"{role}\"")
            .And.Contain($"The database '{target}' this restore had created was dropped again.", "the advice comes before how the target was left, which stays said");

        await server.ExecuteAsync("postgres", $"CREATE ROLE {role} NOLOGIN");
        await restorer.RestoreAsync(snapshot, options);
        (await server.ScalarAsync(target, $"SELECT has_table_privilege('{role}', 'orders', 'SELECT')")).Should().Be(true, "the grant comes back once the role exists");
        (await server.ScalarAsync(target, "SELECT count(*) FROM orders")).Should().Be(10L);
    }
}
