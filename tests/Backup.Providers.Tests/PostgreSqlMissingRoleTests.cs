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
        failure.Message.Should().Contain($"The server lacks 1 role(s) that database '{database}' of snapshot {snapshot.Id.ToShortString()} grants to or is owned by: '{role}'.")
            .And.Contain("a snapshot of one database holds none")
            .And.Contain($"CREATE ROLE \"{role}\"")
            .And.Contain($"The database '{target}' this restore had created was dropped again.", "the advice comes before how the target was left, which stays said");

        await server.ExecuteAsync("postgres", $"CREATE ROLE {role} NOLOGIN");
        await restorer.RestoreAsync(snapshot, options);
        (await server.ScalarAsync(target, $"SELECT has_table_privilege('{role}', 'orders', 'SELECT')")).Should().Be(true, "the grant comes back once the role exists");
        (await server.ScalarAsync(target, "SELECT count(*) FROM orders")).Should().Be(10L);
    }

    /// <summary>
    /// PostgreSQL stops at the first missing role; a restore that said only that one would send the operator round once
    /// per role. The failure names every role the snapshot recorded that the server lacks, as --check-roles does.
    /// </summary>
    [SkippableTheory]
    [InlineData(PostgreSqlBackupMethod.Parallel)]
    [InlineData(PostgreSqlBackupMethod.PgDump)]
    public async Task A_restore_into_a_server_lacking_several_roles_names_them_all(PostgreSqlBackupMethod method)
    {
        var server = fixture.Require();
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var (reader, auditor, writer, owner) = ($"reader_{suffix}", $"Auditor {suffix}", $"writer_{suffix}", $"owner_{suffix}");
        await server.ExecuteAsync("postgres", $"CREATE ROLE {reader} NOLOGIN; CREATE ROLE \"{auditor}\" NOLOGIN; CREATE ROLE {writer} NOLOGIN; CREATE ROLE {owner} NOLOGIN");
        var database = fixture.NewDatabaseName("many_roles");
        await server.CreateDatabaseAsync(database);
        await server.ExecuteAsync(database, $"""
            CREATE TABLE orders (id int PRIMARY KEY); INSERT INTO orders SELECT generate_series(1, 5);
            GRANT SELECT ON orders TO {reader};
            ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
            CREATE POLICY audit ON orders FOR SELECT TO "{auditor}" USING (true);
            GRANT INSERT ON orders TO {writer};
            CREATE TABLE notes (id int); ALTER TABLE notes OWNER TO {owner};
            """);
        await using var repo = await TestRepository.CreateAsync();
        var source = new PostgreSqlSourceOptions { ConnectionString = server.ConnectionString(database), Password = PostgresServer.Password, Method = method };
        var snapshot = (await repo.Service.BackupAsync(new PostgreSqlSource(source))).Snapshot;

        // The new server lacks the reader, the auditor and the owner; it has the writer.
        await server.ExecuteAsync(database, $"DROP OWNED BY {reader}, \"{auditor}\", {owner}");
        await server.ExecuteAsync("postgres", $"DROP ROLE {reader}; DROP ROLE \"{auditor}\"; DROP ROLE {owner}");
        var restorer = new PostgreSqlRestorer(repo.Repository);
        var target = fixture.NewDatabaseName("many_roles_restored");

        var failed = () => restorer.RestoreAsync(snapshot, new PostgreSqlRestoreOptions { ConnectionString = server.ConnectionString(target), Password = PostgresServer.Password });

        var missing = new[] { auditor, reader }.Order(StringComparer.Ordinal).Select(r => $"'{r}'");
        var failure = (await failed.Should().ThrowExactlyAsync<DatabaseRestoreException>()).Which;
        failure.Message.Should().Contain($"The database '{target}' this restore had created was dropped again.");
        var advice = failure.Message[failure.Message.IndexOf("The server lacks", StringComparison.Ordinal)..];
        advice.Should().StartWith($"The server lacks 2 role(s) that database '{database}' of snapshot {snapshot.Id.ToShortString()} grants to or is owned by: {string.Join(", ", missing)}.")
            .And.Contain($"CREATE ROLE \"{reader}\";").And.Contain($"CREATE ROLE \"{auditor}\";")
            .And.NotContain(owner, "a restore without ownership does not need a role that only owns")
            .And.NotContain(writer, "the server has that one (pg_restore's own output above may name it)")
            .And.Contain("--check-roles").And.Contain("docs/databases.md");

        // Keeping ownership needs the owner too.
        var keepingOwners = () => restorer.RestoreAsync(snapshot, new PostgreSqlRestoreOptions { ConnectionString = server.ConnectionString(target), Password = PostgresServer.Password, NoOwner = false });

        (await keepingOwners.Should().ThrowExactlyAsync<DatabaseRestoreException>()).Which.Message.Should().Contain("lacks 3 role(s)").And.Contain($"'{owner}'");
    }
}
