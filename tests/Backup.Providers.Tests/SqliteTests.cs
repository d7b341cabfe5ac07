using Backup.Core.Pipeline;
using Backup.Providers.Sqlite;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace Backup.Providers.Tests;

public sealed class SqliteTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sqlite-test-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static SqliteConnection Open(string path)
    {
        var connection = new SqliteConnection($"Data Source={path};Pooling=False;Default Timeout=30");
        connection.Open();
        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static long Count(string path, string table)
    {
        using var connection = Open(path);
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT count(*) FROM {table}";
        return (long)command.ExecuteScalar()!;
    }

    private string CreateDatabase()
    {
        var path = Path.Combine(_directory, "app.db");
        using var connection = Open(path);
        Execute(connection, """
            PRAGMA journal_mode = WAL;
            CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, price REAL, data BLOB, note TEXT);
            CREATE TABLE log (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT, what TEXT);
            CREATE INDEX items_name ON items(name);
            CREATE VIEW cheap AS SELECT * FROM items WHERE price < 10;
            CREATE TRIGGER items_log AFTER INSERT ON items BEGIN INSERT INTO log(at, what) VALUES (datetime('now'), 'item ' || NEW.id); END;
            WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 20000)
            INSERT INTO items(name, price, data, note) SELECT 'item ✓ ' || x, x / 3.0, randomblob(64), CASE WHEN x % 5 = 0 THEN NULL ELSE 'ünïcode' END FROM g;
            """);
        return path;
    }

    [Fact]
    public async Task A_live_database_being_written_to_round_trips_consistently()
    {
        var path = CreateDatabase();
        await using var repo = await TestRepository.CreateAsync();
        using var stop = new CancellationTokenSource();
        var written = 0;
        var writer = Task.Run(() =>
        {
            using var connection = Open(path);
            while (!stop.IsCancellationRequested)
            {
                Execute(connection, "INSERT INTO items(name, price, data) VALUES ('live', 1.5, randomblob(32))");
                Interlocked.Increment(ref written);
            }
        });

        BackupResult result;
        try
        {
            while (Volatile.Read(ref written) < 50)
            {
                await Task.Delay(5);
            }

            result = await repo.Service.BackupAsync(new SqliteSource(new SqliteSourceOptions { DatabasePath = path }));
        }
        finally
        {
            await stop.CancelAsync();
            await writer;
        }

        output.WriteLine($"{written} rows written during the test; dump {result.Snapshot.Statistics.TotalBytes} bytes");
        var recorded = ChecksumMetadata.Read(result.Snapshot.Metadata, "sqlite", "main")!;
        var items = recorded.Single(t => t.Table == "items").Rows;
        items.Should().BeGreaterThan(20000);
        recorded.Single(t => t.Table == "log").Rows.Should().Be(items, "the trigger's rows are in the same consistent copy");

        var restoredPath = Path.Combine(_directory, "restored.db");
        await new SqliteRestorer(repo.Repository).RestoreAsync(result.Snapshot, new SqliteRestoreOptions { TargetPath = restoredPath });
        Count(restoredPath, "items").Should().Be(items);
        Count(restoredPath, "cheap").Should().BeGreaterThan(0);
        var report = await new SqliteVerifier(repo.Repository).VerifyAsync(result.Snapshot);
        output.WriteLine(report.ToString());
        report.Succeeded.Should().BeTrue();
        Directory.GetFiles(_directory).Select(Path.GetFileName).Should().BeEquivalentTo(["app.db", "restored.db"], "no temporary or scratch files are left");
    }

    [Fact]
    public async Task A_backup_that_meets_a_writers_lock_waits_for_it_instead_of_failing()
    {
        var path = CreateDatabase();
        using (var connection = Open(path))
        {
            Execute(connection, "PRAGMA journal_mode = DELETE");
        }

        await using var repo = await TestRepository.CreateAsync();
        using var writer = Open(path);
        // A writer in the middle of a transaction holds the file's exclusive lock: no reader may start until it commits.
        Execute(writer, "BEGIN EXCLUSIVE; INSERT INTO items(name, price) VALUES ('committed while the backup waited', 1)");
        var backup = repo.Service.BackupAsync(new SqliteSource(new SqliteSourceOptions { DatabasePath = path }));
        await Task.Delay(1500);
        backup.IsCompleted.Should().BeFalse("the backup waits for the lock rather than failing with 'database is locked'");
        Execute(writer, "COMMIT");

        var result = await backup;

        ChecksumMetadata.Read(result.Snapshot.Metadata, "sqlite", "main")!.Single(t => t.Table == "items").Rows.Should().Be(20001, "the copy was taken after the commit");
    }

    [Fact]
    public async Task The_private_copy_of_a_WAL_database_leaves_nothing_behind_in_the_temporary_directory()
    {
        var path = CreateDatabase();
        var temporary = Directory.CreateDirectory(Path.Combine(_directory, "tmp")).FullName;
        await using var repo = await TestRepository.CreateAsync();

        await repo.Service.BackupAsync(new SqliteSource(new SqliteSourceOptions { DatabasePath = path, TempDirectory = temporary }));

        Directory.GetFileSystemEntries(temporary).Should().BeEmpty("the copy and the -wal and -shm files SQLite makes beside it are deleted");
    }

    /// <summary>1.0.0 called Clean "Overwrite"; code written against it keeps compiling and replacing the file.</summary>
    [Fact]
    public async Task Overwrite_the_1_0_0_name_of_Clean_still_replaces_the_target()
    {
        var path = CreateDatabase();
        await using var repo = await TestRepository.CreateAsync();
        var snapshot = (await repo.Service.BackupAsync(new SqliteSource(new SqliteSourceOptions { DatabasePath = path }))).Snapshot;
        using (var connection = Open(path))
        {
            Execute(connection, "DELETE FROM items WHERE id > 100");
        }

#pragma warning disable CS0618 // the obsolete name is what is tested
        var options = new SqliteRestoreOptions { TargetPath = path, Overwrite = true };
#pragma warning restore CS0618
        await new SqliteRestorer(repo.Repository).RestoreAsync(snapshot, options);

        options.Clean.Should().BeTrue();
        Count(path, "items").Should().Be(20000);
    }

    [Fact]
    public async Task A_restore_replaces_the_target_only_when_asked_and_never_with_a_damaged_database()
    {
        var path = CreateDatabase();
        await using var repo = await TestRepository.CreateAsync();
        var snapshot = (await repo.Service.BackupAsync(new SqliteSource(new SqliteSourceOptions { DatabasePath = path }))).Snapshot;
        using (var connection = Open(path))
        {
            Execute(connection, "DELETE FROM items WHERE id > 100");
        }

        var restorer = new SqliteRestorer(repo.Repository);
        var refused = () => restorer.RestoreAsync(snapshot, new SqliteRestoreOptions { TargetPath = path });
        await refused.Should().ThrowAsync<DatabaseRestoreException>().WithMessage($"'{path}' exists; set Clean to replace it, or restore to another TargetPath.");
        await restorer.RestoreAsync(snapshot, new SqliteRestoreOptions { TargetPath = path, Clean = true });
        Count(path, "items").Should().Be(20000);

        // Garbage instead of a database: the check fails, the target stays as it was, no temporary file is left.
        var damaged = () => SqliteRestorer.ReplaceAsync(async (stream, ct) => await stream.WriteAsync(new byte[8192], ct), path, clean: true, CancellationToken.None);
        await damaged.Should().ThrowAsync<DatabaseRestoreException>().WithMessage("*integrity*");
        Count(path, "items").Should().Be(20000);
        Directory.GetFiles(_directory).Should().NotContain(f => f.Contains(".restore-", StringComparison.Ordinal));
    }

    /// <summary>
    /// The restore's temporary file sits in the target's directory, where someone else may be able to create files: a
    /// "hot" journal planted beside it would have SQLite write its pages into the file (their database instead of the
    /// backup's) and then delete the "super-journal" it names, with the restoring process's rights (root's, often).
    /// </summary>
    [Fact]
    public async Task A_journal_planted_beside_the_restores_temporary_file_is_neither_played_into_it_nor_deletes_the_file_it_names()
    {
        var genuine = Path.Combine(_directory, "genuine.db");
        var planted = Path.Combine(_directory, "planted.db");
        foreach (var (file, text) in new[] { (genuine, "genuine"), (planted, "planted") })
        {
            using var connection = Open(file);
            Execute(connection, $"PRAGMA page_size = 4096; CREATE TABLE t (v TEXT); WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 100) INSERT INTO t SELECT '{text}' FROM g;");
        }

        var victim = Path.Combine(_directory, "victim");
        await File.WriteAllTextAsync(victim, "must stay");
        var journal = HotJournal(await File.ReadAllBytesAsync(planted), victim);
        var target = Path.Combine(_directory, "restored.db");

        await SqliteRestorer.ReplaceAsync(async (stream, ct) =>
        {
            await stream.WriteAsync(await File.ReadAllBytesAsync(genuine, ct), ct);
            await File.WriteAllBytesAsync(((FileStream)stream).Name + "-journal", journal, ct);
        }, target, clean: false, CancellationToken.None);

        File.Exists(victim).Should().BeTrue("SQLite must not have read the planted journal, let alone deleted the super-journal it names");
        using (var connection = Open(target))
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT group_concat(DISTINCT v) || ' ' || count(*) FROM t";
            command.ExecuteScalar().Should().Be("genuine 100");
        }

        Directory.GetFiles(_directory).Should().NotContain(f => f.Contains(".restore-", StringComparison.Ordinal), "the planted journal goes with the temporary file");
    }

    /// <summary>A rollback journal (SQLite's file format, section 1.4) holding every page of <paramref name="database"/> and naming <paramref name="superJournal"/>.</summary>
    private static byte[] HotJournal(byte[] database, string superJournal)
    {
        const int PageSize = 4096, SectorSize = 512;
        const uint Nonce = 0x12345678;
        var magic = Convert.FromHexString("d9d505f920a163d7");
        var pages = database.Length / PageSize;
        using var journal = new MemoryStream();
        void Write32(uint value) => journal.Write([(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value]);
        journal.Write(magic);
        foreach (var field in new uint[] { (uint)pages, Nonce, (uint)pages, SectorSize, PageSize })
        {
            Write32(field);
        }

        journal.SetLength(SectorSize);
        journal.Position = SectorSize;
        for (var page = 0; page < pages; page++)
        {
            var bytes = database.AsSpan(page * PageSize, PageSize);
            var checksum = Nonce;
            for (var i = PageSize - 200; i > 0; i -= 200)
            {
                checksum += bytes[i];
            }

            Write32((uint)page + 1);
            journal.Write(bytes);
            Write32(checksum);
        }

        var name = System.Text.Encoding.UTF8.GetBytes(superJournal);
        Write32((0x40000000 / PageSize) + 1);
        journal.Write(name);
        Write32((uint)name.Length);
        Write32((uint)name.Sum(b => b));
        journal.Write(magic);
        return journal.ToArray();
    }

    [SkippableFact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task The_copies_a_backup_and_a_verification_make_are_in_directories_only_their_user_may_enter()
    {
        Skip.IfNot(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "Unix permissions");
        var path = CreateDatabase();
        var temporary = Directory.CreateDirectory(Path.Combine(_directory, "tmp")).FullName;
        await using var repo = await TestRepository.CreateAsync();
        var source = new SqliteSource(new SqliteSourceOptions { DatabasePath = path, TempDirectory = temporary });
        await source.PrepareAsync();

        var copyDirectory = Directory.GetFileSystemEntries(temporary).Should().ContainSingle().Subject;
        File.GetUnixFileMode(copyDirectory).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, "the copy holds the whole database, which its owner may have kept unreadable to others");
        var snapshot = (await repo.Service.BackupAsync(source)).Snapshot;

        UnixFileMode? scratchDirectoryMode = null;
        var report = await new SqliteVerifier(repo.Repository).VerifyAsync(snapshot, temporary, (scratch, _) =>
        {
            scratchDirectoryMode = File.GetUnixFileMode(Path.GetDirectoryName(scratch)!);
            return Task.CompletedTask;
        });

        report.Succeeded.Should().BeTrue(report.ToString());
        scratchDirectoryMode.Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Directory.GetFileSystemEntries(temporary).Should().BeEmpty();
    }

    [Fact]
    public async Task Verification_names_a_tampered_table_and_a_missing_file_fails_without_a_snapshot()
    {
        var path = CreateDatabase();
        await using var repo = await TestRepository.CreateAsync();
        var snapshot = (await repo.Service.BackupAsync(new SqliteSource(new SqliteSourceOptions { DatabasePath = path }))).Snapshot;

        var report = await new SqliteVerifier(repo.Repository).VerifyAsync(snapshot, afterRestore: (scratch, _) =>
        {
            using var connection = Open(scratch);
            Execute(connection, "UPDATE items SET name = 'tampered' WHERE id = 3");
            return Task.CompletedTask;
        });

        report.Succeeded.Should().BeFalse();
        report.FailedTables.Should().Equal("items");

        var missing = () => repo.Service.BackupAsync(new SqliteSource(new SqliteSourceOptions { DatabasePath = Path.Combine(_directory, "nope.db") }));
        await missing.Should().ThrowAsync<BackupSourceException>().WithMessage("*nope.db*does not exist*");
        (await repo.CountSnapshotsAsync()).Should().Be(1);
    }

    /// <summary>
    /// Snapshot metadata is stored in the repository, where a client with append access can write its own snapshots:
    /// recorded checksums that are not what a backup writes fail the verification, saying why, instead of an internal
    /// JSON error (or a verification that compared nothing and passed).
    /// </summary>
    [Theory]
    [InlineData("not json")]
    [InlineData("null")]
    [InlineData("[\"items\"]")]
    [InlineData("{\"items\":null}")]
    [InlineData("{\"items\":\"many:abc\"}")]
    public async Task Verification_of_a_snapshot_whose_recorded_checksums_are_damaged_fails_saying_so(string recorded)
    {
        var path = CreateDatabase();
        await using var repo = await TestRepository.CreateAsync();
        var snapshot = (await repo.Service.BackupAsync(new SqliteSource(new SqliteSourceOptions { DatabasePath = path }))).Snapshot;
        var metadata = snapshot.Metadata.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        metadata[ChecksumMetadata.Key("sqlite", "main")] = recorded;
        var altered = await repo.Repository.Snapshots.SaveAsync(snapshot with { Metadata = metadata, Time = DateTimeOffset.Now });

        var report = await new SqliteVerifier(repo.Repository).VerifyAsync(altered);

        output.WriteLine(report.ToString());
        report.Succeeded.Should().BeFalse();
        report.IntegrityProblems.Should().ContainSingle().Which.Should().Match("*damaged or was altered*");
    }
}
