using System.Globalization;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Backup.Core.Pipeline;
using Backup.Core.Snapshots;
using Backup.Core.Sources;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Backup.Providers.Sqlite;

/// <summary>
/// A consistent copy of a live SQLite database: preparing copies it with SQLite's online backup API
/// (<see cref="SqliteConnection.BackupDatabase(SqliteConnection)"/>) into a temporary file in a directory only this user may enter — writers may
/// keep writing, the copy is one transaction-consistent state — measures per-table counts and checksums on that
/// copy, and the backup then streams the copy into the repository as <c>&lt;file name&gt;</c>. The directory is deleted on dispose. <see cref="BackupService.BackupAsync"/> drives it: prepare, read, record the facts, dispose.
/// </summary>
public sealed class SqliteSource : IBackupSource
{
    /// <summary>The source kind and metadata key prefix.</summary>
    public const string KindName = "sqlite";

    private readonly SqliteSourceOptions _options;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _prepareLock = new(1, 1);
    private string? _directory;
    private Dictionary<string, string>? _facts;

    /// <summary>Creates the source; nothing is read until <see cref="PrepareAsync"/>.</summary>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public SqliteSource(SqliteSourceOptions options, ILogger<SqliteSource>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <inheritdoc />
    public string Kind => KindName;

    /// <inheritdoc />
    public IReadOnlyList<string> Paths => [Path.GetFullPath(_options.DatabasePath)];

    /// <summary>The entry name the database is stored under.</summary>
    public string EntryName => Path.GetFileName(_options.DatabasePath);

    /// <inheritdoc />
    public Task PrepareAsync(CancellationToken cancellationToken = default) => PrepareFactsAsync(cancellationToken);

    /// <summary>The facts measured by <see cref="PrepareAsync"/> (server version, databases, entries, per-table checksums); prepares first when it has not run.</summary>
    /// <param name="cancellationToken">Stops the preparation.</param>
    public Task<IReadOnlyDictionary<string, string>> GetSnapshotMetadataAsync(CancellationToken cancellationToken = default) => PrepareFactsAsync(cancellationToken);

    /// <summary>Prepares once (later calls return the first call's facts).</summary>
    private async Task<IReadOnlyDictionary<string, string>> PrepareFactsAsync(CancellationToken cancellationToken)
    {
        await _prepareLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_facts is not null)
            {
                return _facts;
            }

            if (!File.Exists(_options.DatabasePath))
            {
                // Opening a missing file would create an empty database and back that up.
                throw new FileNotFoundException($"SQLite database '{_options.DatabasePath}' does not exist.");
            }

            // In a directory only this user may enter: the copy holds the whole database (SQLite creates it 0644), and
            // no one may plant a journal beside it for SQLite to play into it.
            var directory = SqliteFiles.CreatePrivateDirectory(_options.TempDirectory, "backup-sqlite-");
            var copy = Path.Combine(directory, EntryName);
            try
            {
                await CopyAsync(_options.DatabasePath, copy, cancellationToken).ConfigureAwait(false);
                var facts = new Dictionary<string, string>(StringComparer.Ordinal)
                {
                    [$"{KindName}.entry"] = EntryName,
                    [$"{KindName}.databases"] = "[\"main\"]",
                };
                await using (var connection = SqliteFiles.OpenFileOnly(copy))
                {
                    await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
                    await using var version = connection.CreateCommand();
                    version.CommandText = "SELECT sqlite_version()";
                    facts[$"{KindName}.version"] = (string)(await version.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
                    if (_options.RecordChecksums)
                    {
                        ChecksumMetadata.Write(facts, KindName, "main", await SqliteChecksums.MeasureAsync(connection, cancellationToken).ConfigureAwait(false));
                    }
                }

                facts[$"{KindName}.bytes"] = new FileInfo(copy).Length.ToString(CultureInfo.InvariantCulture);
                Log.Copied(_logger, _options.DatabasePath, new FileInfo(copy).Length);
                _directory = directory;
                _facts = facts;
                return facts;
            }
            catch
            {
                SqliteFiles.DeleteDirectory(directory);
                throw;
            }
        }
        finally
        {
            _prepareLock.Release();
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<SourceEntry> ReadEntriesAsync(SourceContext context, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // Idempotent: BackupService has prepared already; this serves a caller that reads the entries directly.
        await PrepareFactsAsync(cancellationToken).ConfigureAwait(false);
        var path = Path.Combine(_directory!, EntryName);
        yield return new SourceEntry
        {
            Path = EntryName,
            Metadata = new TreeNode
            {
                Name = EntryName,
                Type = NodeType.File,
                Mode = 0b110_000_000,
                Size = new FileInfo(path).Length,
                MtimeNs = (DateTimeOffset.UtcNow.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100,
            },
            OpenContentAsync = _ => ValueTask.FromResult(PipeReader.Create(
                new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan),
                new StreamPipeReaderOptions(bufferSize: 1 << 20, minimumReadSize: 1 << 18, leaveOpen: false))),
        };
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        if (_directory is not null)
        {
            SqliteFiles.DeleteDirectory(_directory);
            _directory = null;
        }

        _prepareLock.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>How long the copy waits for a writer's lock on the database (and commands for a busy database) before failing.</summary>
    private const int BusyTimeoutSeconds = 60;

    internal static SqliteConnection Open(string path, SqliteOpenMode mode) =>
        new(new SqliteConnectionStringBuilder { DataSource = path, Mode = mode, Pooling = false, DefaultTimeout = BusyTimeoutSeconds }.ToString());

    /// <summary>The online backup API, off the caller's thread (Microsoft.Data.Sqlite only offers it synchronously).</summary>
    internal static Task CopyAsync(string sourcePath, string destinationPath, CancellationToken cancellationToken) => Task.Run(() =>
    {
        using var source = Open(sourcePath, SqliteOpenMode.ReadOnly);
        using var destination = Open(destinationPath, SqliteOpenMode.ReadWriteCreate);
        source.Open();
        destination.Open();
        // Microsoft.Data.Sqlite retries its own commands while the database is busy, but not the backup API: without a
        // busy handler the copy fails at once with "database is locked" whenever a writer holds the lock (a commit in
        // rollback-journal mode, a checkpoint), where it should wait for the writer as any reader does.
        using (var busy = source.CreateCommand())
        {
            busy.CommandText = $"PRAGMA busy_timeout = {BusyTimeoutSeconds * 1000}";
            busy.ExecuteNonQuery();
        }

        source.BackupDatabase(destination);
    }, cancellationToken);
}
