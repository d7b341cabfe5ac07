using Backup.Core.Pipeline;
using Backup.Providers.PostgreSql;
using Backup.Providers.Tests.Servers;
using Xunit.Abstractions;

namespace Backup.Providers.Tests;

/// <summary>
/// A backup role that row-level security applies to must not silently back up only the rows its policies let it
/// see (a table owner could hide rows from every backup, and the checksums, taken from the same reads, would agree).
/// pg_dump refuses such a table; the methods that COPY tables themselves must refuse it too.
/// </summary>
public sealed class PostgreSqlRowSecurityTests(PostgresFixture fixture, ITestOutputHelper output) : IClassFixture<PostgresFixture>
{
    [SkippableTheory]
    [InlineData(PostgreSqlBackupMethod.Parallel)]
    [InlineData(PostgreSqlBackupMethod.DriverOnly)]
    public async Task A_table_whose_rows_row_security_hides_from_the_backup_role_fails_the_backup(PostgreSqlBackupMethod method)
    {
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("rls");
        var role = fixture.NewDatabaseName("rls_reader");
        const string rolePassword = "Rls-reader-p4ss";
        await server.CreateDatabaseAsync(database);
        await server.ExecuteAsync("postgres", $"CREATE ROLE {role} LOGIN PASSWORD '{rolePassword}'");
        await server.ExecuteAsync(database, $"""
            CREATE TABLE accounts (id int PRIMARY KEY, owner text);
            INSERT INTO accounts SELECT g, CASE WHEN g % 2 = 0 THEN 'visible' ELSE 'hidden' END FROM generate_series(1, 10) g;
            ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;
            CREATE POLICY only_visible ON accounts FOR SELECT USING (owner = 'visible');
            GRANT SELECT ON accounts TO {role};
            """);
        await using var repo = await TestRepository.CreateAsync();
        var backup = () => repo.Service.BackupAsync(new PostgreSqlSource(new PostgreSqlSourceOptions
        {
            ConnectionString = $"Host=127.0.0.1;Port={server.Port};Username={role};Database={database}",
            Password = rolePassword,
            Method = method,
        }));

        var error = (await backup.Should().ThrowAsync<BackupSourceException>("5 of the 10 rows are hidden from the backup role")).Which;
        output.WriteLine(error.Message);
        error.Message.Should().Contain("row-level security").And.Contain("BYPASSRLS").And.NotContain(rolePassword);
        (await repo.CountSnapshotsAsync()).Should().Be(0);
    }
}
