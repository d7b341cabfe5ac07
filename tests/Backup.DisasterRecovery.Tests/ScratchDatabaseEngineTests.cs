using Backup.Core;
using Backup.Core.Crypto;
using Backup.Core.Pipeline;
using Backup.Providers;
using Backup.Providers.PostgreSql;
using Backup.Providers.Tests.Servers;

namespace Backup.DisasterRecovery.Tests;

/// <summary>
/// What a drill asks of a database engine beyond restore: compare a restored database in place with the checksums
/// recorded at backup time (a table changed after the restore is found), and drop it.
/// </summary>
public sealed class ScratchDatabaseEngineTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    [SkippableFact]
    public async Task PostgreSQL_compares_a_restored_database_in_place_finds_a_changed_table_and_drops_it()
    {
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("compared");
        await server.CreateDatabaseAsync(database);
        await server.ExecuteAsync(database, "CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 50) g;");
        var engine = new PostgreSqlEngine();
        await using var repository = await BackupRepository.InitAsync(new InMemoryTarget(), RepositoryCredentials.FromKeyFile(RepositoryCredentials.GenerateKeyFile()));
        var source = engine.CreateSource(new DatabaseBackupSettings { Location = server.ConnectionString(database), Password = PostgresServer.Password, DriverOnly = true });
        var snapshot = (await new BackupService(repository).BackupAsync(source)).Snapshot;
        var target = new DatabaseRestoreSettings { Location = server.ConnectionString(), Password = PostgresServer.Password, SourceDatabase = database, TargetDatabase = fixture.NewDatabaseName("dr_compared") };
        await engine.RestoreAsync(repository, snapshot, target);

        var intact = await engine.CompareAsync(snapshot, target);
        await server.ExecuteAsync(target.TargetDatabase!, "UPDATE items SET name = 'changed' WHERE id = 7");
        var changed = await engine.CompareAsync(snapshot, target);
        await engine.DropAsync(target);
        await engine.DropAsync(target);

        intact.Succeeded.Should().BeTrue(intact.ToString());
        intact.TablesCompared.Should().Be(1);
        changed.Succeeded.Should().BeFalse();
        changed.FailedTables.Should().Equal("public.items");
        (await server.ScalarAsync("postgres", $"SELECT count(*) FROM pg_database WHERE datname = '{target.TargetDatabase}'")).Should().Be(0L, "dropping twice is harmless");
    }
}
