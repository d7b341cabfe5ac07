using Backup.Core.Snapshots;
using Backup.Providers.MySql;
using Backup.Providers.Tests.Servers;
using Xunit.Abstractions;

namespace Backup.Providers.Tests;

/// <summary>
/// A driver-only or parallel snapshot whose dump directory was damaged or altered fails to restore with an error that
/// names the file, before the target database is created: no table restored without its rows, no rows from a file
/// the manifest does not know.
/// </summary>
public sealed class MySqlDamagedSnapshotTests(MariaDbFixture fixture, ITestOutputHelper output) : IClassFixture<MariaDbFixture>
{
    public static TheoryData<string, string> Damages => new()
    {
        { "table file missing", "has no items.sql (the rows of table 'items', which the manifest lists)" },
        { "stray table file", "/tables/extra.sql' belongs to no table of the manifest" },
        { "manifest missing", "has no manifest.json" },
        { "manifest not JSON", "manifest.json' is damaged: it is not the JSON a backup writes" },
        { "manifest without statements", "manifest.json' lists an object without a name or a statement" },
    };

    [SkippableTheory]
    [MemberData(nameof(Damages))]
    public async Task A_damaged_parallel_dump_fails_naming_what_is_wrong_and_creates_nothing(string damage, string expected)
    {
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("damaged");
        await server.ExecuteAsync(null, $"CREATE DATABASE {database}");
        await server.ExecuteAsync(database, """
            CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20));
            CREATE TABLE notes (id INT, body TEXT);
            INSERT INTO items SELECT seq, CONCAT('item ', seq) FROM seq_1_to_100;
            INSERT INTO notes SELECT seq, CONCAT('note ', seq) FROM seq_1_to_10;
            """);
        await using var repo = await TestRepository.CreateAsync();
        var snapshot = (await repo.Service.BackupAsync(new MySqlSource(new MySqlSourceOptions
        {
            ConnectionString = server.ConnectionString(database),
            Password = MariaDbServer.Password,
            Method = MySqlBackupMethod.Parallel,
            ClientToolsDirectory = "/nonexistent",
        }))).Snapshot;
        var entry = snapshot.Metadata[$"mysql.entry.{database}"];

        var damaged = damage switch
        {
            "table file missing" => await SnapshotSurgery.ChangeDirectoryAsync(repo.Repository, snapshot, $"{entry}/tables", nodes => SnapshotSurgery.Remove(nodes, "items.sql")),
            "stray table file" => await SnapshotSurgery.ChangeDirectoryAsync(repo.Repository, snapshot, $"{entry}/tables", nodes => nodes.Add(nodes.Single(n => n.Name == "items.sql") with { Name = "extra.sql" })),
            "manifest missing" => await SnapshotSurgery.ChangeDirectoryAsync(repo.Repository, snapshot, entry, nodes => SnapshotSurgery.Remove(nodes, "manifest.json")),
            "manifest not JSON" => await SnapshotSurgery.ChangeDirectoryAsync(repo.Repository, snapshot, entry, (writer, nodes) => SnapshotSurgery.ReplaceFileAsync(writer, nodes, "manifest.json", "{\"Tables\": [")),
            _ => await SnapshotSurgery.ChangeDirectoryAsync(repo.Repository, snapshot, entry, (writer, nodes) => SnapshotSurgery.ReplaceFileAsync(writer, nodes, "manifest.json",
                """{"Version":1,"CharacterSet":"utf8mb4","Collation":"utf8mb4_general_ci","Tables":[{"Name":"items"},{"Name":"notes"}],"Routines":[],"Views":[],"Triggers":[],"Events":[]}""")),
        };

        var target = fixture.NewDatabaseName("damaged_target");
        var restore = () => new MySqlRestorer(repo.Repository).RestoreAsync(damaged, new MySqlRestoreOptions
        {
            ConnectionString = server.ConnectionString(),
            Password = MariaDbServer.Password,
            TargetDatabase = target,
            Jobs = 2,
        });

        var failure = (await restore.Should().ThrowExactlyAsync<DatabaseRestoreException>()).Which;
        output.WriteLine(failure.Message);
        failure.Message.Should().Contain(expected).And.Contain("damaged or was altered").And.Contain("another snapshot");
        (await server.ScalarAsync(null, $"SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '{target}'")).Should().Be(0L, "the dump is checked before the target is created");
    }
}
