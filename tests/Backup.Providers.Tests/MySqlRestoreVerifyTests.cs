using Backup.Providers.MySql;
using Backup.Providers.Tests.Servers;

namespace Backup.Providers.Tests;

/// <summary>
/// A MariaDB/MySQL restore's own verification (<see cref="MySqlRestoreOptions.Verify"/>, the CLI's restore --verify):
/// compared with the checksums recorded at backup time, a difference named and the database left as it is.
/// </summary>
public sealed class MySqlRestoreVerifyTests(MariaDbFixture fixture) : IClassFixture<MariaDbFixture>
{
    private const string Schema = """
        CREATE TABLE orders (id INT AUTO_INCREMENT PRIMARY KEY, customer VARCHAR(60) NOT NULL, total DECIMAL(12, 2), at DATETIME(6), payload BLOB, doc JSON) DEFAULT CHARSET = utf8mb4;
        CREATE TABLE items (id INT AUTO_INCREMENT PRIMARY KEY, order_id INT NOT NULL, weight DOUBLE, FOREIGN KEY (order_id) REFERENCES orders (id));
        INSERT INTO orders (customer, total, at, payload, doc) SELECT CONCAT('c ✓ ', seq), seq * 1.25, TIMESTAMPADD(HOUR, seq, '2024-03-31 01:30:00'), UNHEX(MD5(seq)), JSON_OBJECT('k', seq) FROM seq_1_to_200;
        INSERT INTO items (order_id, weight) SELECT seq, seq / 3 FROM seq_1_to_100;
        """;

    public static TheoryData<MySqlBackupMethod> Methods => [MySqlBackupMethod.Dump, MySqlBackupMethod.Parallel];

    private async Task<(MariaDbServer Server, TestRepository Repo, Backup.Core.Snapshots.Snapshot Snapshot)> BackUpAsync(MySqlBackupMethod method, string name, bool recordChecksums = true)
    {
        var server = fixture.Require();
        var database = fixture.NewDatabaseName(name);
        await server.ExecuteAsync(null, $"CREATE DATABASE {database}");
        await server.ExecuteAsync(database, Schema);
        var repo = await TestRepository.CreateAsync();
        var source = new MySqlSource(new MySqlSourceOptions { ConnectionString = server.ConnectionString(database), Password = MariaDbServer.Password, Method = method, RecordChecksums = recordChecksums });
        return (server, repo, (await repo.Service.BackupAsync(source)).Snapshot);
    }

    private static MySqlRestoreOptions Options(MariaDbServer server, string target) =>
        new() { ConnectionString = server.ConnectionString(), Password = MariaDbServer.Password, TargetDatabase = target };

    [SkippableTheory]
    [MemberData(nameof(Methods))]
    public async Task A_clean_restore_verifies_and_a_row_changed_after_it_is_reported_by_table(MySqlBackupMethod method)
    {
        var (server, repo, snapshot) = await BackUpAsync(method, "rv_my");
        await using var _ = repo;
        var target = fixture.NewDatabaseName("rv_my_into");
        var restorer = new MySqlRestorer(repo.Repository);

        var restored = await restorer.RestoreAsync(snapshot, Options(server, target) with { Verify = true });

        restored.Verification!.Succeeded.Should().BeTrue(restored.Verification.ToString());
        (restored.Verification.TablesCompared, restored.Verification.RowsCompared).Should().Be((2, 300L));

        await server.ExecuteAsync(target, "UPDATE orders SET customer = 'tampered' WHERE id = 7");
        var report = await restorer.VerifyRestoredAsync(snapshot, Options(server, target));

        report.Succeeded.Should().BeFalse();
        report.Mismatches.Should().ContainSingle().Which.Should().Match<TableMismatch>(m => m.Table == "orders" && m.ExpectedRows == 200 && m.ActualRows == 200);
        (await server.ScalarAsync(target, "SELECT customer FROM orders WHERE id = 7")).Should().Be("tampered", "a mismatch drops and changes nothing");
    }

    [SkippableFact]
    public async Task A_snapshot_without_checksums_is_refused_before_anything_is_restored()
    {
        var (server, repo, snapshot) = await BackUpAsync(MySqlBackupMethod.Dump, "rv_my_none", recordChecksums: false);
        await using var _ = repo;
        var target = fixture.NewDatabaseName("rv_my_none_into");

        var restore = () => new MySqlRestorer(repo.Repository).RestoreAsync(snapshot, Options(server, target) with { Verify = true });

        (await restore.Should().ThrowAsync<ArgumentException>()).Which.Message.Should().Contain("recorded no table checksums");
        (await server.ScalarAsync(null, $"SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '{target}'")).Should().Be(0L);
    }
}
