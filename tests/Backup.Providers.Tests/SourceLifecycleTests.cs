using System.IO.Pipelines;
using System.Text;
using Backup.Core.Pipeline;
using Backup.Core.Snapshots;
using Backup.Core.Sources;
using Backup.Providers.MySql;
using Backup.Providers.PostgreSql;
using Backup.Providers.Sqlite;
using Backup.Providers.Tests.Servers;

namespace Backup.Providers.Tests;

/// <summary>
/// One source model: <see cref="BackupService.BackupAsync"/> itself prepares a source, reads it, records its facts in
/// the snapshot and disposes of it, so a database source needs no special entry point.
/// </summary>
public sealed class SourceLifecycleTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("lifecycle-").FullName;

    [Fact]
    public async Task A_plain_backup_prepares_reads_records_the_facts_and_then_disposes_of_the_source()
    {
        await using var repo = await TestRepository.CreateAsync();
        var source = new RecordingSource();

        var result = await repo.Service.BackupAsync(source, new BackupOptions { Metadata = new Dictionary<string, string> { ["owner"] = "caller", ["app"] = "billing" } });

        source.Calls.Should().Equal("prepare", "read", "metadata", "dispose");
        result.Snapshot.Metadata.Should().Contain("recording.rows", "3").And.Contain("app", "billing")
            .And.Contain("owner", "caller", "the caller's metadata wins over the source's facts");
        result.Snapshot.SourceKind.Should().Be("recording");
        (await repo.CountSnapshotsAsync()).Should().Be(1);
    }

    [Fact]
    public async Task A_source_that_cannot_be_prepared_fails_as_a_whole_writes_nothing_and_is_still_disposed()
    {
        await using var repo = await TestRepository.CreateAsync();
        var source = new RecordingSource { FailPrepare = true };

        var act = () => repo.Service.BackupAsync(source);

        (await act.Should().ThrowAsync<BackupSourceException>()).Which.Message.Should().Contain("recording backup could not start").And.Contain("server unreachable");
        source.Calls.Should().Equal("prepare", "dispose");
        (await repo.CountSnapshotsAsync()).Should().Be(0);
    }

    [Fact]
    public async Task A_source_whose_read_fails_is_disposed_and_no_snapshot_is_written()
    {
        await using var repo = await TestRepository.CreateAsync();
        var source = new RecordingSource { FailRead = true };

        var act = () => repo.Service.BackupAsync(source);

        await act.Should().ThrowAsync<BackupSourceException>();
        source.Calls.Should().Equal("prepare", "read", "dispose");
        (await repo.CountSnapshotsAsync()).Should().Be(0);
    }

    [Fact]
    public async Task A_plain_backup_of_a_sqlite_database_records_its_checksums_and_removes_the_sources_copy()
    {
        var path = Path.Combine(_directory, "app.db");
        await using (var connection = SqliteSource.Open(path, Microsoft.Data.Sqlite.SqliteOpenMode.ReadWriteCreate))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t (v) VALUES ('a'), ('b'), ('c');";
            await command.ExecuteNonQueryAsync();
        }

        await using var repo = await TestRepository.CreateAsync();
        var result = await new BackupService(repo.Repository).BackupAsync(new SqliteSource(new SqliteSourceOptions { DatabasePath = path, TempDirectory = _directory }));

        ChecksumMetadata.Read(result.Snapshot.Metadata, SqliteSource.KindName, "main").Should().ContainSingle(t => t.Table == "t" && t.Rows == 3);
        Directory.GetFiles(_directory).Select(Path.GetFileName).Should().Equal(["app.db"], "disposing of the source deleted its consistent copy");
    }

    [SkippableFact]
    public async Task A_plain_backup_of_a_postgresql_database_records_its_checksums_and_ends_the_pinned_transaction()
    {
        var server = fixture.Require();
        var database = fixture.NewDatabaseName("lifecycle");
        await server.CreateDatabaseAsync(database);
        await server.ExecuteAsync(database, "CREATE TABLE orders (id int PRIMARY KEY, total numeric); INSERT INTO orders SELECT g, g * 2.5 FROM generate_series(1, 250) g;");
        await using var repo = await TestRepository.CreateAsync();

        var result = await new BackupService(repo.Repository).BackupAsync(new PostgreSqlSource(new PostgreSqlSourceOptions
        {
            ConnectionString = server.ConnectionString(database),
            Password = PostgresServer.Password,
        }));

        result.Snapshot.Metadata.Should().ContainKey("postgresql.server_version");
        ChecksumMetadata.Read(result.Snapshot.Metadata, PostgreSqlSource.KindName, database).Should().ContainSingle(t => t.Table == "public.orders" && t.Rows == 250);
        // A backend leaves pg_stat_activity a moment after its client closed the connection.
        object? sessions = null;
        for (var attempt = 0; attempt < 100 && !Equals(sessions, 0L); attempt++)
        {
            await Task.Delay(attempt == 0 ? 0 : 100);
            sessions = await server.ScalarAsync("postgres", $"SELECT count(*) FROM pg_stat_activity WHERE datname = '{database}'");
        }

        sessions.Should().Be(0L, "disposing of the source closed the connection that pinned the snapshot");
        var report = await new PostgreSqlEngine().VerifyAsync(repo.Repository, result.Snapshot, new DatabaseVerifySettings { Scratch = server.ConnectionString("postgres"), Password = PostgresServer.Password });
        report.Succeeded.Should().BeTrue(report.ToString());
        report.TablesCompared.Should().Be(1);
    }

    [Theory]
    [InlineData(typeof(PostgreSqlEngine), "postgresql")]
    [InlineData(typeof(MySqlEngine), "mysql")]
    [InlineData(typeof(SqliteEngine), "sqlite")]
    public void Each_engine_descriptor_names_the_kind_its_sources_record(Type engineType, string kind)
    {
        var engine = (IDatabaseEngine)Activator.CreateInstance(engineType)!;
        engine.Kind.Should().Be(kind);
        var source = engine.CreateSource(new DatabaseBackupSettings { Location = engine.Location == DatabaseLocation.File ? Path.Combine(_directory, "x.db") : "Host=localhost;Database=app" });
        source.Kind.Should().Be(kind, "the descriptor's source writes snapshots of its own kind, which is how restore and verify find the engine again");
        (engine.Location == DatabaseLocation.File).Should().Be(engine.PasswordEnvironmentVariables.Count == 0 && engine.DefaultPort is null);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>A user-written source with the whole lifecycle, recording the order of the calls.</summary>
    private sealed class RecordingSource : IBackupSource
    {
        public List<string> Calls { get; } = [];

        public bool FailPrepare { get; init; }

        public bool FailRead { get; init; }

        public string Kind => "recording";

        public IReadOnlyList<string> Paths => ["recording://rows"];

        public Task PrepareAsync(CancellationToken cancellationToken = default)
        {
            Calls.Add("prepare");
            return FailPrepare ? throw new IOException("server unreachable") : Task.CompletedTask;
        }

        public async IAsyncEnumerable<SourceEntry> ReadEntriesAsync(SourceContext context, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            Calls.Add("read");
            await Task.Yield();
            var content = Encoding.UTF8.GetBytes("1\n2\n3\n");
            yield return new SourceEntry
            {
                Path = "rows.txt",
                Metadata = new TreeNode { Name = "rows.txt", Type = NodeType.File, Mode = 0b110_000_000 },
                OpenContentAsync = _ => ValueTask.FromResult(PipeReader.Create(new MemoryStream(content))),
                CompleteAsync = _ => FailRead ? throw new BackupSourceException("the export failed") : ValueTask.CompletedTask,
            };
        }

        public Task<IReadOnlyDictionary<string, string>> GetSnapshotMetadataAsync(CancellationToken cancellationToken = default)
        {
            Calls.Add("metadata");
            return Task.FromResult<IReadOnlyDictionary<string, string>>(new Dictionary<string, string> { ["recording.rows"] = "3", ["owner"] = "source" });
        }

        public ValueTask DisposeAsync()
        {
            Calls.Add("dispose");
            return ValueTask.CompletedTask;
        }
    }
}
