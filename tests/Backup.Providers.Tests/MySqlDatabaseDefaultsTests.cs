using Backup.Providers.MySql;
using Backup.Providers.Tests.Servers;

namespace Backup.Providers.Tests;

/// <summary>
/// A database's own character set and collation (what its later tables and its routines take) come back with it:
/// a latin1 database restored into a new server was created utf8mb4, whatever it had been.
/// </summary>
public sealed class MySqlDatabaseDefaultsTests(MariaDbFixture fixture) : IClassFixture<MariaDbFixture>
{
    [SkippableTheory]
    [InlineData(MySqlBackupMethod.Dump)]
    [InlineData(MySqlBackupMethod.DriverOnly)]
    [InlineData(MySqlBackupMethod.Parallel)]
    public async Task A_restored_database_has_the_character_set_and_collation_it_was_created_with(MySqlBackupMethod method)
    {
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("latin");
        await server.ExecuteAsync(null, $"CREATE DATABASE {database} CHARACTER SET latin1 COLLATE latin1_german2_ci");
        await server.ExecuteAsync(database, "CREATE TABLE contacts (id int PRIMARY KEY, name varchar(40)); INSERT INTO contacts VALUES (1, 'Müller');");
        await using var repo = await TestRepository.CreateAsync();
        var source = new MySqlSourceOptions { ConnectionString = server.ConnectionString(database), Password = MariaDbServer.Password, Method = method };
        var snapshot = (await repo.Service.BackupAsync(new MySqlSource(source))).Snapshot;
        var restorer = new MySqlRestorer(repo.Repository);
        var target = fixture.NewDatabaseName("latin_restored");

        await restorer.RestoreAsync(snapshot, new MySqlRestoreOptions { ConnectionString = server.ConnectionString(target), Password = MariaDbServer.Password });

        (await server.ScalarAsync(null, $"SELECT CONCAT(DEFAULT_CHARACTER_SET_NAME, ' ', DEFAULT_COLLATION_NAME) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '{target}'"))
            .Should().Be("latin1 latin1_german2_ci");
        (await server.ScalarAsync(target, "SELECT name FROM contacts")).Should().Be("Müller");

        // Restored over a utf8mb4 database with Clean: as the snapshot's database was, not as the one it replaces.
        var existing = fixture.NewDatabaseName("utf8_existing");
        await server.ExecuteAsync(null, $"CREATE DATABASE {existing} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci");
        await restorer.RestoreAsync(snapshot, new MySqlRestoreOptions { ConnectionString = server.ConnectionString(existing), Password = MariaDbServer.Password, Clean = true });
        (await server.ScalarAsync(null, $"SELECT DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '{existing}'")).Should().Be("latin1_german2_ci");
    }

    /// <summary>
    /// A recorded collation this server does not know (a MySQL 8 database's utf8mb4_0900_ai_ci restored into MariaDB
    /// before 11.4.5, or a value altered in the repository) fails the restore before anything is dropped: with Clean,
    /// the database it would replace was dropped first and the CREATE then failed, leaving no database at all.
    /// </summary>
    [SkippableFact]
    public async Task A_recorded_collation_the_server_does_not_know_fails_the_restore_before_the_existing_database_is_dropped()
    {
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("unknown_collation");
        await server.ExecuteAsync(null, $"CREATE DATABASE {database} CHARACTER SET utf8mb4");
        await server.ExecuteAsync(database, "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1);");
        await using var repo = await TestRepository.CreateAsync();
        var source = new MySqlSourceOptions { ConnectionString = server.ConnectionString(database), Password = MariaDbServer.Password };
        var snapshot = (await repo.Service.BackupAsync(new MySqlSource(source))).Snapshot;
        var metadata = new Dictionary<string, string>(snapshot.Metadata) { [$"mysql.collation.{database}"] = "utf8mb4_no_such_collation_ci" };
        var altered = await repo.Repository.Snapshots.SaveAsync(snapshot with { Metadata = metadata, Time = DateTimeOffset.Now });
        var existing = fixture.NewDatabaseName("kept");
        await server.ExecuteAsync(null, $"CREATE DATABASE {existing}");
        await server.ExecuteAsync(existing, "CREATE TABLE precious (id int PRIMARY KEY); INSERT INTO precious VALUES (42);");

        var restore = () => new MySqlRestorer(repo.Repository).RestoreAsync(altered, new MySqlRestoreOptions { ConnectionString = server.ConnectionString(existing), Password = MariaDbServer.Password, Clean = true });

        (await restore.Should().ThrowAsync<DatabaseRestoreException>()).Which.Message.Should().Contain("utf8mb4_no_such_collation_ci");
        (await server.ScalarAsync(existing, "SELECT id FROM precious")).Should().Be(42, "nothing was dropped for a restore that could not create the database");
    }
}
