using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Backup.Core.Pipeline;
using Backup.Core.Snapshots;
using Backup.Core.Sources;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MySqlConnector;

namespace Backup.Providers.MySql;

/// <summary>
/// A consistent logical backup of a MariaDB/MySQL database (or every user database) with mariadb-dump (or
/// mysqldump) <c>--single-transaction --routines --triggers --events</c>, streamed into the repository as
/// <c>&lt;db&gt;.sql</c>; or, with <see cref="MySqlBackupMethod.DriverOnly"/>, without any client tool as a directory
/// <c>&lt;db&gt;/</c> holding <c>manifest.json</c> (the schema) and <c>data.sql</c> (batched INSERTs), all read in one
/// consistent-snapshot transaction. <see cref="BackupService.BackupAsync"/> drives it: prepare, read, record the facts, dispose.
/// </summary>
/// <remarks>
/// <para>
/// MySQL cannot hand a snapshot to another session, so the checksums are made to see the dump's snapshot this
/// way: under a brief <c>FLUSH TABLES WITH READ LOCK</c> this source starts its own
/// <c>START TRANSACTION WITH CONSISTENT SNAPSHOT</c>, starts the dump(s), waits until each has opened its
/// transaction (its first table header, or its end, appears in the output), and unlocks. No write can fall between
/// the snapshots, so they are the same; the per-table counts and checksums are then taken in this source's
/// transaction while the dumps stream. Without the RELOAD privilege the lock is skipped (logged, and recorded as
/// <c>mysql.checksum_snapshot = separate</c>). InnoDB tables only are transactional; others may differ.
/// </para>
/// <para>
/// A dump counts only when the tool exits with 0, its stderr has nothing but warnings, and its output ends with the
/// <c>-- Dump completed</c> trailer; otherwise the backup fails with <see cref="BackupSourceException"/> quoting
/// stderr (password scrubbed) and no snapshot is written. Credentials go through a 0600 --defaults-extra-file.
/// </para>
/// </remarks>
public sealed class MySqlSource : IBackupSource
{
    /// <summary>The source kind and metadata key prefix.</summary>
    public const string KindName = "mysql";

    private static readonly TimeSpan GlobalLockLimit = TimeSpan.FromSeconds(60);
    private static readonly string[] SystemDatabases = ["mysql", "sys", "information_schema", "performance_schema"];
    private readonly MySqlSourceOptions _options;
    private readonly MyServer _server;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _prepareLock = new(1, 1);
    private readonly List<(string Database, ToolProcess Process, PipeReader Output)> _dumps = [];
    private readonly Dictionary<string, MyDriverManifest> _manifests = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _driverLock = new(1, 1);
    private readonly Dictionary<string, List<string>> _readOrder = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<TableChecksum>> _measured = new(StringComparer.Ordinal);
    private readonly List<Task<Exception?>> _producers = [];
    private readonly CancellationTokenSource _stop = new();
    private MySnapshotConnections? _snapshot;
    private bool _disposed;
    private TempFile? _optionFile;
    private MySqlConnection? _driverConnection;
    private Dictionary<string, string>? _facts;

    /// <summary>Creates the source; nothing connects until <see cref="PrepareAsync"/>.</summary>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public MySqlSource(MySqlSourceOptions options, ILogger<MySqlSource>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _server = new MyServer(options);
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <inheritdoc />
    public string Kind => KindName;

    /// <inheritdoc />
    public IReadOnlyList<string> Paths => [_options.AllDatabases ? $"{_server.Endpoint}/*" : $"{_server.Endpoint}/{_server.Database}"];

    /// <summary>The entry name of <paramref name="database"/>'s dump.</summary>
    public static string EntryName(string database) => EscapeName(database) + ".sql";

    /// <summary>The directory that holds <paramref name="database"/>'s driver-only dump (manifest.json and data.sql).</summary>
    public static string DriverEntryName(string database)
    {
        var escaped = EscapeName(database);
        return escaped is "." or ".." ? escaped.Replace(".", "%2E", StringComparison.Ordinal) : escaped;
    }

    private static string EscapeName(string database) => database.Replace("%", "%25", StringComparison.Ordinal).Replace("/", "%2F", StringComparison.Ordinal);

    /// <inheritdoc />
    public Task PrepareAsync(CancellationToken cancellationToken = default) => PrepareFactsAsync(cancellationToken);

    /// <summary>The facts measured by <see cref="PrepareAsync"/> (server version, databases, entries, per-table checksums); prepares first when it has not run.</summary>
    /// <remarks>A parallel backup's checksums are those of the tables read so far: ask after the entries have been read.</remarks>
    /// <param name="cancellationToken">Stops the preparation.</param>
    public async Task<IReadOnlyDictionary<string, string>> GetSnapshotMetadataAsync(CancellationToken cancellationToken = default)
    {
        var facts = await PrepareFactsAsync(cancellationToken).ConfigureAwait(false);
        if (_options.Method != MySqlBackupMethod.Parallel || !_options.RecordChecksums)
        {
            return facts;
        }

        var withChecksums = new Dictionary<string, string>(facts, StringComparer.Ordinal);
        lock (_measured)
        {
            foreach (var (database, tables) in _measured)
            {
                ChecksumMetadata.Write(withChecksums, KindName, database, tables);
            }
        }

        return withChecksums;
    }

    /// <summary>Prepares once (later calls return the first call's facts).</summary>
    private async Task<IReadOnlyDictionary<string, string>> PrepareFactsAsync(CancellationToken cancellationToken)
    {
        await _prepareLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return _facts ??= _options.Method switch
            {
                MySqlBackupMethod.DriverOnly => await StartDriverAsync(cancellationToken).ConfigureAwait(false),
                MySqlBackupMethod.Parallel => await StartParallelAsync(cancellationToken).ConfigureAwait(false),
                _ => await StartAsync(cancellationToken).ConfigureAwait(false),
            };
        }
        finally
        {
            _prepareLock.Release();
        }
    }

    private async Task<Dictionary<string, string>> StartAsync(CancellationToken cancellationToken)
    {
        var tool = _server.LocateTool("mariadb-dump", "mysqldump");
        var facts = new Dictionary<string, string>(StringComparer.Ordinal);
        var connection = await _server.OpenCheckedAsync(_options.AllDatabases ? null : _server.Database, cancellationToken).ConfigureAwait(false);
        await using var _ = connection.ConfigureAwait(false);
        var version = connection.ServerVersion;
        var names = await ListDatabasesAsync(connection, cancellationToken).ConfigureAwait(false);
        facts[$"{KindName}.server_version"] = version;
        facts[$"{KindName}.databases"] = JsonSerializer.Serialize(names, MyJson.Default.ListString);
        facts[$"{KindName}.tool"] = Path.GetFileName(tool);
        facts[$"{KindName}.method"] = "dump";

        var locked = false;
        try
        {
            await using (var lockCommand = new MySqlCommand("FLUSH TABLES WITH READ LOCK", connection))
            {
                await lockCommand.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                locked = true;
            }
        }
        catch (MySqlException ex) when (ex.Number is 1227 or 1044 or 1045) // no RELOAD privilege
        {
            Log.NoGlobalLock(_logger);
        }

        facts[$"{KindName}.checksum_snapshot"] = locked ? "same" : "separate";
        await using (var begin = new MySqlCommand($"{MyChecksums.SessionSettings}; SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ; START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY", connection))
        {
            await begin.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        _optionFile = await _server.WriteOptionFileAsync(tool, cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var name in names)
            {
                var process = ToolProcess.Start(tool,
                [
                    $"--defaults-extra-file={_optionFile.Path}", // must come first
                    "--single-transaction", "--routines", "--triggers", "--events", "--hex-blob", "--skip-dump-date",
                    "--default-character-set=utf8mb4", "--no-tablespaces", "--", name,
                ], new Dictionary<string, string?> { ["MYSQL_PWD"] = null, ["LC_ALL"] = "C" }, _server.Secrets);
                _dumps.Add((name, process, process.OpenOutput(cancellationToken, "-- Table structure", "-- Dump completed")));
            }

            // Each dump has opened its transaction once it writes its first table header (or finishes): then the
            // global read lock has done its job. Bounded: the lock stalls every writer on the server while held.
            try
            {
                await Task.WhenAll(_dumps.Select(d => d.Process.MarkerSeen)).WaitAsync(GlobalLockLimit, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw new BackupSourceException($"The dump tool did not open its transaction within {GlobalLockLimit.TotalSeconds:F0} s of the global read lock; the lock was released and the backup abandoned.");
            }
        }
        finally
        {
            if (locked)
            {
                await using var unlock = new MySqlCommand("UNLOCK TABLES", connection);
                await unlock.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }

        await MyDatabaseDefaults.RecordAsync(connection, names, facts, cancellationToken).ConfigureAwait(false);
        await MyRequiredAccounts.RecordAsync(connection, names, facts, _logger, cancellationToken).ConfigureAwait(false);
        foreach (var name in names)
        {
            facts[$"{KindName}.entry.{name}"] = EntryName(name);
            if (_options.RecordChecksums)
            {
                ChecksumMetadata.Write(facts, KindName, name, await MyChecksums.MeasureAsync(connection, name, cancellationToken).ConfigureAwait(false));
            }
        }

        Log.Started(_logger, version.Contains("MariaDB", StringComparison.OrdinalIgnoreCase) ? "MariaDB" : "MySQL", version, _server.Endpoint, names.Count);
        return facts;
    }

    private async Task<List<string>> ListDatabasesAsync(MySqlConnection connection, CancellationToken cancellationToken)
    {
        var names = new List<string>();
        await using (var list = new MySqlCommand(_options.AllDatabases ? "SHOW DATABASES" : "SELECT DATABASE()", connection))
        await using (var reader = await list.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (!reader.IsDBNull(0) && !SystemDatabases.Contains(reader.GetString(0), StringComparer.OrdinalIgnoreCase))
                {
                    names.Add(reader.GetString(0));
                }
            }
        }

        names.Sort(StringComparer.Ordinal);
        return names;
    }

    /// <summary>
    /// Driver-only: one connection, one <c>START TRANSACTION WITH CONSISTENT SNAPSHOT</c>; the schema and the
    /// checksums are read in it now, the rows later (table by table, on the same connection) — all the same snapshot.
    /// </summary>
    private async Task<Dictionary<string, string>> StartDriverAsync(CancellationToken cancellationToken)
    {
        var facts = new Dictionary<string, string>(StringComparer.Ordinal);
        var connection = await _server.OpenCheckedAsync(_options.AllDatabases ? null : _server.Database, cancellationToken).ConfigureAwait(false);
        _driverConnection = connection;
        var version = connection.ServerVersion;
        var names = await ListDatabasesAsync(connection, cancellationToken).ConfigureAwait(false);
        facts[$"{KindName}.server_version"] = version;
        facts[$"{KindName}.databases"] = JsonSerializer.Serialize(names, MyJson.Default.ListString);
        facts[$"{KindName}.tool"] = "none";
        facts[$"{KindName}.method"] = "driver";
        facts[$"{KindName}.checksum_snapshot"] = "same";
        await using (var begin = new MySqlCommand($"{MyChecksums.SessionSettings}; SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ; START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY", connection))
        {
            await begin.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await MyDatabaseDefaults.RecordAsync(connection, names, facts, cancellationToken).ConfigureAwait(false);
        await MyRequiredAccounts.RecordAsync(connection, names, facts, _logger, cancellationToken).ConfigureAwait(false);
        foreach (var name in names)
        {
            _manifests[name] = await MyDriverManifest.ReadAsync(connection, name, cancellationToken).ConfigureAwait(false);
            facts[$"{KindName}.entry.{name}"] = DriverEntryName(name);
            if (_options.RecordChecksums)
            {
                ChecksumMetadata.Write(facts, KindName, name, await MyChecksums.MeasureAsync(connection, name, cancellationToken).ConfigureAwait(false));
            }
        }

        Log.Started(_logger, version.Contains("MariaDB", StringComparison.OrdinalIgnoreCase) ? "MariaDB" : "MySQL", version, _server.Endpoint, names.Count);
        return facts;
    }

    /// <summary>
    /// Parallel: <see cref="MySqlSourceOptions.Jobs"/> connections in one snapshot (see <see cref="MySnapshotConnections"/>);
    /// the schema is read now on the first, the tables later on whichever is free, their checksums taken on the way.
    /// </summary>
    private async Task<Dictionary<string, string>> StartParallelAsync(CancellationToken cancellationToken)
    {
        var facts = new Dictionary<string, string>(StringComparer.Ordinal);
        _snapshot = await MySnapshotConnections.OpenAsync(_server, _options.AllDatabases ? null : _server.Database, _options.Jobs, _logger, cancellationToken).ConfigureAwait(false);
        var connection = _snapshot.First;
        var version = connection.ServerVersion;
        var names = await ListDatabasesAsync(connection, cancellationToken).ConfigureAwait(false);
        facts[$"{KindName}.server_version"] = version;
        facts[$"{KindName}.databases"] = JsonSerializer.Serialize(names, MyJson.Default.ListString);
        facts[$"{KindName}.tool"] = "none";
        facts[$"{KindName}.method"] = "parallel";
        facts[$"{KindName}.checksum_snapshot"] = "same";
        facts[$"{KindName}.checksum_kind"] = MyRowChecksum.Kind;
        facts[$"{KindName}.jobs"] = _snapshot.Count.ToString(CultureInfo.InvariantCulture);
        var tables = 0;
        await MyDatabaseDefaults.RecordAsync(connection, names, facts, cancellationToken).ConfigureAwait(false);
        await MyRequiredAccounts.RecordAsync(connection, names, facts, _logger, cancellationToken).ConfigureAwait(false);
        foreach (var name in names)
        {
            _manifests[name] = await MyDriverManifest.ReadAsync(connection, name, cancellationToken).ConfigureAwait(false);
            _readOrder[name] = await LargestFirstAsync(connection, name, _manifests[name].Tables.Select(t => t.Name), cancellationToken).ConfigureAwait(false);
            _measured[name] = [];
            facts[$"{KindName}.entry.{name}"] = DriverEntryName(name);
            tables += _manifests[name].Tables.Count;
        }

        Log.StartedParallel(_logger, version.Contains("MariaDB", StringComparison.OrdinalIgnoreCase) ? "MariaDB" : "MySQL", version, _server.Endpoint, tables, names.Count, _snapshot.Count);
        return facts;
    }

    /// <summary>The tables in the order they are read: largest first, so that the last one to finish is a small one.</summary>
    private static async Task<List<string>> LargestFirstAsync(MySqlConnection connection, string database, IEnumerable<string> tables, CancellationToken cancellationToken)
    {
        var sizes = new Dictionary<string, long>(StringComparer.Ordinal);
        await using (var command = new MySqlCommand("SELECT TABLE_NAME, COALESCE(DATA_LENGTH, 0) FROM information_schema.TABLES WHERE TABLE_SCHEMA = @db", connection))
        {
            command.Parameters.AddWithValue("@db", database);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                sizes[reader.GetString(0)] = Convert.ToInt64(reader.GetValue(1), CultureInfo.InvariantCulture);
            }
        }

        return [.. tables.OrderByDescending(t => sizes.GetValueOrDefault(t)).ThenBy(t => t, StringComparer.Ordinal)];
    }

    /// <summary>The entries both driver layouts begin with: the database's directory and its manifest.</summary>
    private IEnumerable<SourceEntry> DirectoryAndManifest(string database, string directory)
    {
        yield return new SourceEntry { Path = directory, Metadata = Node(directory, NodeType.Directory) };
        var manifest = JsonSerializer.SerializeToUtf8Bytes(_manifests[database], MyManifestJson.Default.MyDriverManifest);
        yield return new SourceEntry
        {
            Path = $"{directory}/{MyDriverManifest.FileName}",
            Metadata = Node(MyDriverManifest.FileName, NodeType.File),
            OpenContentAsync = _ => ValueTask.FromResult(PipeReader.Create(new ReadOnlySequence<byte>(manifest))),
        };
    }

    private IEnumerable<SourceEntry> ParallelEntries(string database)
    {
        var directory = DriverEntryName(database);
        foreach (var entry in DirectoryAndManifest(database, directory))
        {
            yield return entry;
        }

        yield return new SourceEntry { Path = $"{directory}/{MyDriverManifest.TablesDirectoryName}", Metadata = Node(MyDriverManifest.TablesDirectoryName, NodeType.Directory) };
        foreach (var table in _readOrder[database])
        {
            var file = MyDriverManifest.TableFileName(table);
            Task<Exception?>? producer = null;
            yield return new SourceEntry
            {
                Path = $"{directory}/{MyDriverManifest.TablesDirectoryName}/{file}",
                Metadata = Node(file, NodeType.File),
                PreferFastCompression = true,
                OpenContentAsync = cancellationToken =>
                {
                    var pipe = MyRowPipe.Create();
                    producer = ProduceTableAsync(database, table, pipe.Writer, cancellationToken);
                    lock (_producers)
                    {
                        _producers.Add(producer);
                    }

                    return ValueTask.FromResult(pipe.Reader);
                },
                CompleteAsync = async _ =>
                {
                    if (await producer!.ConfigureAwait(false) is { } failure)
                    {
                        throw new BackupSourceException($"reading table '{database}.{table}' failed: {Secrets.Scrub(failure.Message, _server.Secrets)}", failure);
                    }
                },
            };
        }
    }

    /// <summary>Writes one table's rows into the pipe on a free snapshot connection and records its checksum; a failure is returned for CompleteAsync (see StreamPump).</summary>
    private Task<Exception?> ProduceTableAsync(string database, string table, PipeWriter writer, CancellationToken cancellationToken) =>
        ProduceAsync(writer, async () =>
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
            var checksum = await _snapshot!.RunAsync(
                connection => MyDriverData.WriteTableAsync(connection, database, table, writer, _options.InsertBatchBytes, stop.Token), stop.Token).ConfigureAwait(false);
            lock (_measured)
            {
                _measured[database].Add(new TableChecksum { Table = table, Rows = checksum.Rows, Checksum = checksum.Value });
            }
        });

    /// <summary>Runs <paramref name="produce"/> off the caller's thread; the pipe always completes normally and a failure is returned for CompleteAsync (see StreamPump).</summary>
    private static async Task<Exception?> ProduceAsync(PipeWriter writer, Func<Task> produce)
    {
        await Task.Yield();
        try
        {
            await produce().ConfigureAwait(false);
            return null;
        }
#pragma warning disable CA1031 // Every failure must reach CompleteAsync, whatever its type.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return ex;
        }
        finally
        {
            await writer.CompleteAsync().ConfigureAwait(false);
        }
    }

    private static TreeNode Node(string name, NodeType type) => new()
    {
        Name = name,
        Type = type,
        Mode = type == NodeType.Directory ? 0b111_000_000u : 0b110_000_000u, // a dump holds every row of the database
        MtimeNs = (DateTimeOffset.UtcNow.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100,
    };

    private IEnumerable<SourceEntry> DriverEntries(string database)
    {
        var directory = DriverEntryName(database);
        foreach (var entry in DirectoryAndManifest(database, directory))
        {
            yield return entry;
        }

        Task<Exception?>? producer = null;
        yield return new SourceEntry
        {
            Path = $"{directory}/{MyDriverManifest.DataFileName}",
            Metadata = Node(MyDriverManifest.DataFileName, NodeType.File),
            PreferFastCompression = true,
            OpenContentAsync = cancellationToken =>
            {
                var pipe = MyRowPipe.Create();
                producer = ProduceRowsAsync(database, pipe.Writer, cancellationToken);
                return ValueTask.FromResult(pipe.Reader);
            },
            CompleteAsync = async _ =>
            {
                if (await producer!.ConfigureAwait(false) is { } failure)
                {
                    throw new BackupSourceException($"reading the rows of '{database}' failed: {Secrets.Scrub(failure.Message, _server.Secrets)}", failure);
                }
            },
        };
    }

    /// <summary>Writes one database's rows into the pipe; the pipe always completes normally and a failure is returned for CompleteAsync (see StreamPump).</summary>
    private Task<Exception?> ProduceRowsAsync(string database, PipeWriter writer, CancellationToken cancellationToken) =>
        ProduceAsync(writer, async () =>
        {
            // Every database's rows come from the one connection that holds the snapshot: one reader at a time.
            await _driverLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await MyDriverData.WriteAsync(_driverConnection!, database, _manifests[database].Tables.Select(t => t.Name), writer, _options.InsertBatchBytes, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _driverLock.Release();
            }
        });

    /// <inheritdoc />
    public async IAsyncEnumerable<SourceEntry> ReadEntriesAsync(SourceContext context, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // Idempotent: BackupService has prepared already; this serves a caller that reads the entries directly.
        await PrepareFactsAsync(cancellationToken).ConfigureAwait(false);
        if (_options.Method is MySqlBackupMethod.DriverOnly or MySqlBackupMethod.Parallel)
        {
            foreach (var entry in _manifests.Keys.Order(StringComparer.Ordinal).SelectMany(_options.Method == MySqlBackupMethod.Parallel ? ParallelEntries : (Func<string, IEnumerable<SourceEntry>>)DriverEntries))
            {
                yield return entry;
            }

            yield break;
        }

        foreach (var (database, process, output) in _dumps)
        {
            var name = EntryName(database);
            yield return new SourceEntry
            {
                Path = name,
                Metadata = new TreeNode { Name = name, Type = NodeType.File, Mode = 0b110_000_000, MtimeNs = (DateTimeOffset.UtcNow.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100 },
                OpenContentAsync = _ => ValueTask.FromResult(output),
                PreferFastCompression = true,
                CompleteAsync = async ct =>
                {
                    var outcome = await process.WaitAsync(ct).ConfigureAwait(false);
                    var errors = outcome.ErrorLines(MyServer.IsErrorLine);
                    var trailer = outcome.Tail.Contains("-- Dump completed", StringComparison.Ordinal);
                    if (outcome.ExitCode != 0 || errors.Count > 0 || outcome.StreamFailure is not null || !trailer)
                    {
                        throw new BackupSourceException(outcome.Describe($"dump of '{database}' failed") + (trailer ? string.Empty : " (no '-- Dump completed' trailer: the dump is truncated)"));
                    }

                    if (!string.IsNullOrWhiteSpace(outcome.Stderr))
                    {
                        Log.ToolWarning(_logger, outcome.Tool, database, outcome.Stderr.Trim());
                    }
                },
            };
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var (_, process, output) in _dumps)
        {
            await output.CompleteAsync().ConfigureAwait(false);
            await process.DisposeAsync().ConfigureAwait(false);
        }

        _dumps.Clear();
        _optionFile?.Dispose();

        // A backup that stopped early leaves producers behind: stop them before their connections go.
        await _stop.CancelAsync().ConfigureAwait(false);
        Task<Exception?>[] producers;
        lock (_producers)
        {
            producers = [.. _producers];
        }

        await Task.WhenAll(producers).ConfigureAwait(false);
        if (_snapshot is not null)
        {
            await _snapshot.DisposeAsync().ConfigureAwait(false);
            _snapshot = null;
        }

        _stop.Dispose();
        if (_driverConnection is not null)
        {
            await _driverConnection.DisposeAsync().ConfigureAwait(false);
            _driverConnection = null;
        }

        _prepareLock.Dispose();
        _driverLock.Dispose();
    }
}
