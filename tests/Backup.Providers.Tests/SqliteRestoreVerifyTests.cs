using Backup.Providers.Sqlite;
using Microsoft.Data.Sqlite;

namespace Backup.Providers.Tests;

/// <summary>
/// A SQLite restore's own verification (<see cref="SqliteRestoreOptions.Verify"/>, the CLI's restore --verify):
/// compared with the checksums recorded at backup time, a difference named and the file left as it is.
/// </summary>
public sealed class SqliteRestoreVerifyTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sqlite-verify-test-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private static async Task ExecuteAsync(string path, string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    private async Task<(TestRepository Repo, Backup.Core.Snapshots.Snapshot Snapshot)> BackUpAsync(bool recordChecksums = true)
    {
        var path = Path.Combine(_directory, "app.db");
        await ExecuteAsync(path, """
            CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT, price REAL, data BLOB);
            CREATE TABLE log (id INTEGER PRIMARY KEY AUTOINCREMENT, what TEXT);
            WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 500)
            INSERT INTO things SELECT x, 'thing ✓ ' || x, x / 3.0, randomblob(16) FROM g;
            INSERT INTO log (what) VALUES ('one'), ('two');
            """);
        var repo = await TestRepository.CreateAsync();
        var snapshot = (await repo.Service.BackupAsync(new SqliteSource(new SqliteSourceOptions { DatabasePath = path, RecordChecksums = recordChecksums }))).Snapshot;
        return (repo, snapshot);
    }

    [Fact]
    public async Task A_restores_own_verification_reads_as_a_comparison_not_as_a_timed_restore_drill()
    {
        var (repo, snapshot) = await BackUpAsync();
        await using var _ = repo;

        var restored = await new SqliteRestorer(repo.Repository).RestoreAsync(snapshot, new SqliteRestoreOptions { TargetPath = Path.Combine(_directory, "restored.db"), Verify = true });

        // It compared a database already restored: it timed no restore of its own, and says no "restore took 0.0 s".
        restored.Verification!.RestoreDuration.Should().Be(TimeSpan.Zero);
        restored.Verification.ToString().Should().StartWith("verified 2 tables").And.NotContain("restore took");
    }

    [Fact]
    public async Task A_clean_restore_verifies_and_a_row_changed_after_it_is_reported_by_table()
    {
        var (repo, snapshot) = await BackUpAsync();
        await using var _ = repo;
        var target = Path.Combine(_directory, "restored.db");
        var restorer = new SqliteRestorer(repo.Repository);

        var restored = await restorer.RestoreAsync(snapshot, new SqliteRestoreOptions { TargetPath = target, Verify = true });

        restored.Verification!.Succeeded.Should().BeTrue(restored.Verification.ToString());
        restored.Verification.TablesCompared.Should().BeGreaterThanOrEqualTo(2);
        restored.Verification.RowsCompared.Should().BeGreaterThanOrEqualTo(502);

        await ExecuteAsync(target, "UPDATE things SET name = 'tampered' WHERE id = 7");
        var report = await restorer.VerifyRestoredAsync(snapshot, new SqliteRestoreOptions { TargetPath = target });

        report.Succeeded.Should().BeFalse();
        report.Mismatches.Should().ContainSingle().Which.Should().Match<TableMismatch>(m => m.Table == "things" && m.ExpectedRows == 500 && m.ActualRows == 500);
        File.Exists(target).Should().BeTrue("a mismatch deletes nothing");
    }

    [Fact]
    public async Task Interrupted_while_verifying_it_says_the_file_is_restored_but_not_verified_and_leaves_it()
    {
        var (repo, snapshot) = await BackUpAsync();
        await using var _ = repo;
        var target = Path.Combine(_directory, "restored.db");
        using var interrupt = new CancelOnLog<SqliteRestorer>("Restored");

        var restore = () => new SqliteRestorer(repo.Repository, interrupt).RestoreAsync(snapshot, new SqliteRestoreOptions { TargetPath = target, Verify = true }, interrupt.Token);

        var interrupted = (await restore.Should().ThrowAsync<DatabaseRestoreInterruptedException>()).Which;
        interrupted.Remedy.Should().Be(DatabaseRestoreRemedy.VerifyAgain);
        interrupted.TargetState.Should().Contain("completely restored, but not verified");
        (await new SqliteRestorer(repo.Repository).VerifyRestoredAsync(snapshot, new SqliteRestoreOptions { TargetPath = target })).Succeeded.Should().BeTrue("the restored file stays in place");
    }

    [Fact]
    public async Task A_snapshot_without_checksums_is_refused_before_anything_is_restored()
    {
        var (repo, snapshot) = await BackUpAsync(recordChecksums: false);
        await using var _ = repo;
        var target = Path.Combine(_directory, "restored.db");

        var restore = () => new SqliteRestorer(repo.Repository).RestoreAsync(snapshot, new SqliteRestoreOptions { TargetPath = target, Verify = true });

        (await restore.Should().ThrowAsync<ArgumentException>()).Which.Message.Should().Contain("recorded no table checksums").And.Contain("Nothing was restored");
        File.Exists(target).Should().BeFalse();
    }
}
