using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Backup.Core.Pipeline;
using Backup.Core.Snapshots;
using Backup.Core.Sources;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Backup.Providers.PostgreSql;

/// <summary>
/// A consistent logical backup of one PostgreSQL database (or all of them plus the globals), streamed straight
/// into the repository with no temporary file. Preparing pins a snapshot per database (a REPEATABLE READ
/// transaction that exports it with <c>pg_export_snapshot()</c>), measures per-table row counts and checksums in
/// that transaction, and pg_dump then reads the very same snapshot (<c>--snapshot</c>), so the recorded checksums
/// describe exactly what was dumped. <see cref="BackupService.BackupAsync"/> drives it: prepare, read, record the facts, dispose.
/// </summary>
/// <remarks>
/// Entries: <c>&lt;db&gt;.dump</c> (custom format) or <c>&lt;db&gt;.sql</c> (plain); with <see cref="PostgreSqlSourceOptions.AllDatabases"/>
/// also <c>globals.sql</c> (pg_dumpall --globals-only); in driver-only mode a directory <c>&lt;db&gt;/</c> with
/// <c>manifest.json</c>, the schema and one binary COPY file per table. A dump counts only when the tool exits with
/// 0, its stderr reports no error and its output ended cleanly; otherwise the backup fails with
/// <see cref="BackupSourceException"/> quoting stderr (password scrubbed) and no snapshot is written.
/// </remarks>
public sealed class PostgreSqlSource : IBackupSource
{
    /// <summary>The metadata key prefix and source kind.</summary>
    public const string KindName = "postgresql";

    private readonly PostgreSqlSourceOptions _options;
    private readonly PgServer _server;
    private readonly ILogger _logger;
    private readonly List<PinnedDatabase> _databases = [];
    private readonly System.Collections.Concurrent.ConcurrentBag<ToolProcess> _processes = [];
    private readonly SemaphoreSlim _prepareLock = new(1, 1);
    private Dictionary<string, string>? _facts;
    private int _serverVersionNum;
    private string? _pgDump;
    private PostgreSqlBackupMethod _method;

    /// <summary>Creates the source; nothing connects until <see cref="PrepareAsync"/>.</summary>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public PostgreSqlSource(PostgreSqlSourceOptions options, ILogger<PostgreSqlSource>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _server = new PgServer(options);
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <inheritdoc />
    public string Kind => KindName;

    /// <inheritdoc />
    public IReadOnlyList<string> Paths => [_options.AllDatabases ? $"{_server.Endpoint}/*" : $"{_server.Endpoint}/{_server.Database}"];

    /// <summary>The name of the entry that holds <paramref name="database"/>'s dump in a snapshot.</summary>
    public static string EntryName(string database, PostgreSqlBackupMethod method, PostgreSqlDumpFormat format) =>
        EscapeName(database) + (method != PostgreSqlBackupMethod.PgDump ? string.Empty : format == PostgreSqlDumpFormat.Custom ? ".dump" : ".sql");

    /// <inheritdoc />
    public Task PrepareAsync(CancellationToken cancellationToken = default) => PrepareFactsAsync(cancellationToken);

    /// <summary>
    /// The facts measured by <see cref="PrepareAsync"/> (server version, databases, entries, per-table checksums);
    /// prepares first when it has not run. With <see cref="PostgreSqlBackupMethod.Parallel"/> the tables' checksums
    /// were taken from their COPY streams while they were read, and a database whose tables were not all read
    /// records none. With <see cref="PostgreSqlBackupMethod.PgDump"/> the sequences' checksums are those of the values
    /// the dump sets, read from it as it passed (those measured at the pin for a dump not read).
    /// </summary>
    /// <param name="cancellationToken">Stops the preparation.</param>
    public async Task<IReadOnlyDictionary<string, string>> GetSnapshotMetadataAsync(CancellationToken cancellationToken = default)
    {
        var facts = await PrepareFactsAsync(cancellationToken).ConfigureAwait(false);
        if (_method == PostgreSqlBackupMethod.DriverOnly || !_options.RecordChecksums)
        {
            return facts;
        }

        var withTables = new Dictionary<string, string>(facts, StringComparer.Ordinal);
        foreach (var database in _databases)
        {
            if (_method == PostgreSqlBackupMethod.PgDump && database.Checksums is { } measured)
            {
                ChecksumMetadata.Write(withTables, KindName, database.Name, WithRecordedSequences(measured, DumpedSequences(database, measured)));
            }
            else if (database.Checksums is { } others && database.TableCount is { } count && database.Streamed.Count == count)
            {
                ChecksumMetadata.Write(withTables, KindName, database.Name, others.Concat(database.Streamed.Values));
            }
        }

        return withTables;
    }

    /// <summary>
    /// The sequence values <paramref name="database"/>'s dump sets, as read from it on its way past (none when it was
    /// not read); a warning names the sequences that keep the value measured at the pin.
    /// </summary>
    private IReadOnlyList<DriverSequence> DumpedSequences(PinnedDatabase database, List<TableChecksum> measured)
    {
        if (database.DumpedSequences is not { } dumped)
        {
            return [];
        }

        var values = dumped.Values;
        var found = values.Select(q => PgTableKey.Sequence(q.Schema, q.Name)).ToHashSet(StringComparer.Ordinal);
        var unread = measured.Where(c => PgTableKey.IsSequence(c.Table) && !found.Contains(c.Table)).Select(c => c.Table).ToList();
        if (unread.Count > 0)
        {
            var sequences = string.Join(", ", unread.Take(10)) + (unread.Count > 10 ? $" and {unread.Count - 10} more" : string.Empty);
            Log.SequenceValuesUnread(_logger, database.Name, dumped.Problem ?? "no single SEQUENCE SET entry in the dump", sequences);
        }

        return values;
    }

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

            var facts = new Dictionary<string, string>(StringComparer.Ordinal);
            await using (var connection = await _server.OpenCheckedAsync(_options.AllDatabases ? "postgres" : null, cancellationToken).ConfigureAwait(false))
            {
                _serverVersionNum = await PgServer.GetServerVersionNumAsync(connection, cancellationToken).ConfigureAwait(false);
                _pgDump = _options.Method != PostgreSqlBackupMethod.DriverOnly
                    ? await _server.LocateToolAsync("pg_dump", _serverVersionNum, cancellationToken).ConfigureAwait(false)
                    : _options.SchemaFromCatalog ? null : await _server.TryLocateToolAsync("pg_dump", _serverVersionNum, cancellationToken).ConfigureAwait(false);
                var names = _options.AllDatabases ? await ListDatabasesAsync(connection, cancellationToken).ConfigureAwait(false) : [_server.Database!];
                foreach (var name in names)
                {
                    _databases.Add(await PinnedDatabase.PinAsync(_server, name, cancellationToken).ConfigureAwait(false));
                }

                _method = await ChooseMethodAsync(cancellationToken).ConfigureAwait(false);
                facts[$"{KindName}.server_version"] = PgChecksums.FormatVersion(_serverVersionNum);
                facts[$"{KindName}.server_version_num"] = _serverVersionNum.ToString(CultureInfo.InvariantCulture);
                facts[$"{KindName}.databases"] = JsonSerializer.Serialize(names, PgJson.Default.ListString);
                facts[$"{KindName}.method"] = _method switch { PostgreSqlBackupMethod.PgDump => "pg_dump", PostgreSqlBackupMethod.Parallel => "parallel", _ => "driver" };
                facts[$"{KindName}.format"] = _method switch
                {
                    PostgreSqlBackupMethod.DriverOnly => "copy-binary",
                    PostgreSqlBackupMethod.Parallel => ParallelFormat,
                    _ => _options.Format == PostgreSqlDumpFormat.Custom ? "custom" : "plain",
                };
                facts[$"{KindName}.globals"] = _options.AllDatabases && _method != PostgreSqlBackupMethod.DriverOnly ? "globals.sql" : "none";
                if (_options.RecordChecksums && _method == PostgreSqlBackupMethod.Parallel)
                {
                    // Old snapshots have no such key: their checksums are PgChecksums' SQL text form.
                    facts[$"{KindName}.checksum_kind"] = CopyChecksum.Kind;
                }

                if (_options.RecordChecksums)
                {
                    // Old snapshots have no such key either: their checksums name every relation "schema.name".
                    facts[PgTableKey.MetadataKey] = PgTableKey.Quoted;
                }

                foreach (var pinned in _databases)
                {
                    facts[$"{KindName}.entry.{pinned.Name}"] = EntryName(pinned.Name, _method, _options.Format);
                    facts[$"{KindName}.snapshot_time.{pinned.Name}"] = pinned.SnapshotTime.ToString("O", CultureInfo.InvariantCulture);

                    // Read in the pinned snapshot, so they are the roles of exactly what was dumped. Old snapshots have no such key.
                    (await PgRequiredRoles.MeasureAsync(pinned.Connection, cancellationToken).ConfigureAwait(false)).Write(facts, pinned.Name);
                    if (_options.RecordChecksums)
                    {
                        // The parallel method measures only sequences and large objects here; its tables are measured as they stream.
                        // The driver-only method records its checksums with its manifest's sequence values (DriverEntriesAsync).
                        // The pg_dump method records its checksums with the sequence values its dump sets (GetSnapshotMetadataAsync).
                        pinned.Checksums = await PgChecksums.MeasureAsync(pinned.Connection, tables: _method != PostgreSqlBackupMethod.Parallel, legacyNames: false, cancellationToken).ConfigureAwait(false);
                    }
                }
            }

            Log.Pinned(_logger, facts[$"{KindName}.server_version"], _server.Endpoint, _databases.Count);
            _facts = facts;
            return facts;
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
        if (_options.AllDatabases && _method != PostgreSqlBackupMethod.DriverOnly)
        {
            var pgDumpAll = await _server.LocateToolAsync("pg_dumpall", _serverVersionNum, cancellationToken).ConfigureAwait(false);
            yield return ToolEntry("globals.sql", pgDumpAll, ["--globals-only", "--no-password"], "postgres");
        }

        foreach (var database in _databases)
        {
            if (_method == PostgreSqlBackupMethod.PgDump)
            {
                var arguments = new List<string>
                {
                    _options.Format == PostgreSqlDumpFormat.Custom ? "--format=custom" : "--format=plain",
                    $"--snapshot={database.SnapshotId}",
                    "--no-password",
                };
                if (_options.Format == PostgreSqlDumpFormat.Custom)
                {
                    arguments.Add($"--compress={_options.CompressionLevel.ToString(CultureInfo.InvariantCulture)}");
                }

                // pg_dump reads each sequence when it dumps it, after the pin: the values its dump sets are read from the dump on its way past.
                Func<PgDumpSequenceValues>? sequences = _options.RecordChecksums ? () => database.DumpedSequences = PgDumpSequenceValues.For(_options.Format) : null;
                yield return ToolEntry(EntryName(database.Name, _method, _options.Format), _pgDump!, arguments, database.Name, sequences);
            }
            else if (_method == PostgreSqlBackupMethod.Parallel)
            {
                await foreach (var entry in ParallelEntriesAsync(database, cancellationToken).ConfigureAwait(false))
                {
                    yield return entry;
                }
            }
            else
            {
                await foreach (var entry in DriverEntriesAsync(database, cancellationToken).ConfigureAwait(false))
                {
                    yield return entry;
                }
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync().ConfigureAwait(false);
        }

        _processes.Clear();
        foreach (var database in _databases)
        {
            await database.DisposeAsync().ConfigureAwait(false);
        }

        _databases.Clear();
        _prepareLock.Dispose();
    }

    /// <summary>A database name as one path segment: '%' and '/' escaped, "." and ".." never produced.</summary>
    internal static string EscapeName(string name)
    {
        var escaped = name.Replace("%", "%25", StringComparison.Ordinal).Replace("/", "%2F", StringComparison.Ordinal);
        return escaped is "." or ".." or "" ? escaped.Replace(".", "%2E", StringComparison.Ordinal) + "%" : escaped;
    }

    private static TreeNode FileNode(string name) => new()
    {
        Name = name,
        Type = NodeType.File,
        Mode = 0b110_000_000, // rw------- : a dump holds every row of the database
        MtimeNs = (DateTimeOffset.UtcNow.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100,
    };

    private static async Task<List<string>> ListDatabasesAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var names = new List<string>();
        await using var command = new NpgsqlCommand("SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY datname", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }

    /// <summary>
    /// An entry whose content is a tool's standard output, judged by exit code, stderr and a clean end; with
    /// <paramref name="sequenceValues"/>, the reader it makes sees the output as it passes.
    /// </summary>
    private SourceEntry ToolEntry(string name, string tool, IReadOnlyList<string> arguments, string database, Func<PgDumpSequenceValues>? sequenceValues = null)
    {
        ToolProcess? process = null;
        ToolEnvironment? environment = null;
        PgDumpSequenceValues? observer = null;
        return new SourceEntry
        {
            Path = name,
            Metadata = FileNode(name[(name.LastIndexOf('/') + 1)..]),
            OpenContentAsync = async cancellationToken =>
            {
                environment = await _server.CreateToolEnvironmentAsync(database, cancellationToken).ConfigureAwait(false);
                Log.Running(_logger, Path.GetFileName(tool), database);
                process = ToolProcess.Start(tool, arguments, environment.Variables, _server.Secrets);
                // Tracked so an aborted backup (which never calls CompleteAsync) still ends the tool on dispose.
                _processes.Add(process);
                observer = sequenceValues?.Invoke();
                return observer is null ? process.OpenOutput(cancellationToken) : process.OpenOutput(observer, cancellationToken);
            },
            CompleteAsync = async cancellationToken =>
            {
                try
                {
                    var outcome = await process!.WaitAsync(cancellationToken).ConfigureAwait(false);
                    var errors = outcome.ErrorLines(PgServer.IsErrorLine);
                    if (outcome.ExitCode != 0 || errors.Count > 0 || outcome.StreamFailure is not null || process.BytesWritten == 0)
                    {
                        throw new BackupSourceException(outcome.Describe($"dump of '{database}' failed") + (process.BytesWritten == 0 ? " (no output)" : string.Empty));
                    }

                    if (!string.IsNullOrWhiteSpace(outcome.Stderr))
                    {
                        Log.ToolWarning(_logger, outcome.Tool, database, outcome.Stderr.Trim());
                    }

                    observer?.Complete();
                }
                finally
                {
                    await process!.DisposeAsync().ConfigureAwait(false);
                    environment?.Dispose();
                }
            },
        };
    }

    private async IAsyncEnumerable<SourceEntry> DriverEntriesAsync(PinnedDatabase database, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var directory = EscapeName(database.Name);
        yield return new SourceEntry { Path = directory, Metadata = new TreeNode { Name = directory, Type = NodeType.Directory, Mode = 0b111_000_000 } };

        var manifest = await DriverManifest.ReadAsync(database.Connection, cancellationToken).ConfigureAwait(false);
        if (database.Checksums is { } measured)
        {
            database.Checksums = WithRecordedSequences(measured, manifest.Sequences);
            ChecksumMetadata.Write(_facts!, KindName, database.Name, database.Checksums);
        }

        string? preData = null, postData = null;
        if (_pgDump is not null)
        {
            preData = await RunSchemaDumpAsync(database, "pre-data", cancellationToken).ConfigureAwait(false);
            postData = await RunSchemaDumpAsync(database, "post-data", cancellationToken).ConfigureAwait(false);
            manifest = manifest with { SchemaSource = "pg_dump" };
        }
        else
        {
            preData = await CatalogSchema.BuildAsync(database.Connection, cancellationToken).ConfigureAwait(false);
            postData = string.Empty;
            manifest = manifest with { SchemaSource = "catalog" };
        }

        yield return BytesEntry($"{directory}/manifest.json", JsonSerializer.SerializeToUtf8Bytes(manifest, PgManifestJson.Default.DriverManifest));
        yield return BytesEntry($"{directory}/pre-data.sql", Encoding.UTF8.GetBytes(preData));
        yield return BytesEntry($"{directory}/post-data.sql", Encoding.UTF8.GetBytes(postData));
        yield return new SourceEntry { Path = $"{directory}/tables", Metadata = new TreeNode { Name = "tables", Type = NodeType.Directory, Mode = 0b111_000_000 } };
        foreach (var table in manifest.Tables)
        {
            yield return CopyEntry($"{directory}/tables/{table.File}", database, table, checksum: false);
        }
    }

    /// <summary>The format the parallel method records (a directory like driver-only's, with a schema archive pg_restore can build in parallel).</summary>
    internal const string ParallelFormat = "parallel-copy";

    /// <summary>
    /// The method this backup takes: the one asked for, except that <see cref="PostgreSqlBackupMethod.Parallel"/>
    /// falls back to pg_dump for the whole snapshot when a database holds what it cannot carry (large objects,
    /// arrays or records of user-defined types), saying why in the log.
    /// </summary>
    private async Task<PostgreSqlBackupMethod> ChooseMethodAsync(CancellationToken cancellationToken)
    {
        if (_options.Method != PostgreSqlBackupMethod.Parallel)
        {
            return _options.Method;
        }

        if (_options.Format == PostgreSqlDumpFormat.Plain)
        {
            // A plain SQL dump is asked for by name: only pg_dump writes one.
            return PostgreSqlBackupMethod.PgDump;
        }

        foreach (var database in _databases)
        {
            if (await CopyChecksums.UnsupportedAsync(database.Connection, cancellationToken).ConfigureAwait(false) is { } reason)
            {
                Log.ParallelFallback(_logger, database.Name, reason);
                return PostgreSqlBackupMethod.PgDump;
            }
        }

        return PostgreSqlBackupMethod.Parallel;
    }

    /// <summary>
    /// The parallel method's entries: the manifest, a schema-only custom-format archive (pre-data and post-data,
    /// for pg_restore to build in parallel) and one binary COPY per table, largest first so that the backup's
    /// concurrent reads (one connection each, all in the pinned snapshot) end together.
    /// </summary>
    private async IAsyncEnumerable<SourceEntry> ParallelEntriesAsync(PinnedDatabase database, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var directory = EscapeName(database.Name);
        yield return new SourceEntry { Path = directory, Metadata = new TreeNode { Name = directory, Type = NodeType.Directory, Mode = 0b111_000_000 } };

        var manifest = await DriverManifest.ReadAsync(database.Connection, cancellationToken).ConfigureAwait(false) with { Version = 2, SchemaSource = "pg_dump-custom" };
        var sizes = await DriverManifest.TableSizesAsync(database.Connection, cancellationToken).ConfigureAwait(false);
        database.TableCount = manifest.Tables.Count;
        if (database.Checksums is { } measured)
        {
            database.Checksums = WithRecordedSequences(measured, manifest.Sequences);
        }

        yield return BytesEntry($"{directory}/manifest.json", JsonSerializer.SerializeToUtf8Bytes(manifest, PgManifestJson.Default.DriverManifest));
        yield return ToolEntry($"{directory}/schema.dump", _pgDump!, ["--format=custom", "--schema-only", "--compress=0", $"--snapshot={database.SnapshotId}", "--no-password"], database.Name);
        yield return new SourceEntry { Path = $"{directory}/tables", Metadata = new TreeNode { Name = "tables", Type = NodeType.Directory, Mode = 0b111_000_000 } };
        foreach (var table in manifest.Tables.OrderByDescending(t => sizes.GetValueOrDefault((t.Schema, t.Name))))
        {
            yield return CopyEntry($"{directory}/tables/{table.File}", database, table, _options.RecordChecksums);
        }
    }

    /// <summary>
    /// <paramref name="measured"/> with each sequence's checksum taken from the value <paramref name="recordedValues"/> gives it
    /// (the manifest's, or those the pg_dump output sets). Sequences are not transactional: every nextval since the
    /// database was pinned moved them past the values measured then, and the restore sets the recorded ones. From those,
    /// the checksums are of what is restored, so a drill of a database that was being written to does not fail on them.
    /// </summary>
    private static List<TableChecksum> WithRecordedSequences(List<TableChecksum> measured, IEnumerable<DriverSequence> recordedValues)
    {
        var recorded = recordedValues.ToDictionary(q => PgTableKey.Sequence(q.Schema, q.Name), SequenceChecksum, StringComparer.Ordinal);
        return [.. measured.Select(c => recorded.GetValueOrDefault(c.Table) ?? c)];
    }

    /// <summary>The checksum <see cref="PgChecksums"/> measures for a sequence with <paramref name="sequence"/>'s value.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5351", Justification = "Not for security: it must equal the md5() PostgreSQL computes over the restored sequence.")]
    private static TableChecksum SequenceChecksum(DriverSequence sequence) => new()
    {
        Table = PgTableKey.Sequence(sequence.Schema, sequence.Name),
        Rows = 1,
        Checksum = Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(Encoding.UTF8.GetBytes(
            string.Create(CultureInfo.InvariantCulture, $"{sequence.LastValue}:{(sequence.IsCalled ? "true" : "false")}")))),
    };

    private async Task<string> RunSchemaDumpAsync(PinnedDatabase database, string section, CancellationToken cancellationToken)
    {
        using var environment = await _server.CreateToolEnvironmentAsync(database.Name, cancellationToken).ConfigureAwait(false);
        await using var process = ToolProcess.Start(_pgDump!, ["--format=plain", $"--section={section}", $"--snapshot={database.SnapshotId}", "--no-password"], environment.Variables, _server.Secrets);
        var text = await process.ReadOutputToEndAsync(cancellationToken).ConfigureAwait(false);
        var outcome = await process.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (outcome.ExitCode != 0 || outcome.ErrorLines(PgServer.IsErrorLine).Count > 0)
        {
            throw new BackupSourceException(outcome.Describe($"schema dump ({section}) of '{database.Name}' failed"));
        }

        return text;
    }

    private static SourceEntry BytesEntry(string path, byte[] content) => new()
    {
        Path = path,
        Metadata = FileNode(path[(path.LastIndexOf('/') + 1)..]),
        OpenContentAsync = _ => ValueTask.FromResult(PipeReader.Create(new ReadOnlySequence<byte>(content))),
    };

    /// <summary>One table's binary COPY, on its own connection that imports the pinned snapshot (as pg_dump -j does), so tables are read in parallel yet consistently.</summary>
    private SourceEntry CopyEntry(string path, PinnedDatabase database, DriverTable table, bool checksum)
    {
        StreamPump? pump = null;
        var measured = checksum ? new CopyChecksum() : null;
        return new SourceEntry
        {
            Path = path,
            Metadata = FileNode(table.File),
            OpenContentAsync = async cancellationToken =>
            {
                var connection = await _server.OpenAsync(database.Name, cancellationToken).ConfigureAwait(false);
                try
                {
                    // Rows in physical order, as pg_dump reads them: a synchronized scan would start where another scan of
                    // the table is, and a table's dump that starts somewhere else each night shares fewer chunks.
                    // row_security off, as pg_dump sets it: a table whose policies hide rows from this role fails the
                    // COPY instead of giving only the visible rows (and a checksum of just those).
                    await using (var begin = new NpgsqlCommand($"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT '{database.SnapshotId}'; SET synchronize_seqscans = off; SET row_security = off", connection))
                    {
                        await begin.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    }

                    Stream stream = await connection.BeginRawBinaryCopyAsync($"COPY {PgServer.QuoteIdentifier(table.Schema)}.{PgServer.QuoteIdentifier(table.Name)} TO STDOUT (FORMAT binary)", cancellationToken).ConfigureAwait(false);
                    stream = new ChecksumReadStream(stream, measured);

                    (pump, var reader) = StreamPump.Start(stream, () => connection.DisposeAsync(), cancellationToken);
                    return reader;
                }
                catch (NpgsqlException ex)
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                    var hint = ex is PostgresException { SqlState: PostgresErrorCodes.InsufficientPrivilege } && ex.Message.Contains("row-level security", StringComparison.Ordinal)
                        ? " The backup role must see every row: give it BYPASSRLS, or back up as a superuser (pg_dump needs the same)."
                        : string.Empty;
                    throw new BackupSourceException($"COPY of {table.Schema}.{table.Name} in '{database.Name}' failed: {Secrets.Scrub(ex.Message, _server.Secrets)}{hint}", ex);
                }
                catch
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                    throw;
                }
            },
            CompleteAsync = async _ =>
            {
                if (await pump!.Completion.ConfigureAwait(false) is { } failure)
                {
                    throw new BackupSourceException($"COPY of {table.Schema}.{table.Name} in '{database.Name}' failed: {Secrets.Scrub(failure.Message, _server.Secrets)}", failure);
                }

                if (measured is not null)
                {
                    if (!measured.Complete)
                    {
                        throw new BackupSourceException($"COPY of {table.Schema}.{table.Name} in '{database.Name}' ended without its trailer: the stream is incomplete.");
                    }

                    database.Streamed[table.File] = new TableChecksum { Table = PgTableKey.Table(table.Schema, table.Name), Rows = measured.Rows, Checksum = measured.Value };
                }
            },
        };
    }
}

/// <summary>One database's pinned snapshot: a REPEATABLE READ transaction kept open until the dump has read it.</summary>
internal sealed class PinnedDatabase : IAsyncDisposable
{
    private PinnedDatabase(string name, NpgsqlConnection connection, string snapshotId, DateTimeOffset snapshotTime)
    {
        Name = name;
        Connection = connection;
        SnapshotId = snapshotId;
        SnapshotTime = snapshotTime;
    }

    public string Name { get; }

    public NpgsqlConnection Connection { get; }

    public string SnapshotId { get; }

    public DateTimeOffset SnapshotTime { get; }

    /// <summary>Checksums measured in the pinned transaction (all of them, or with the parallel method sequences and large objects only).</summary>
    public List<TableChecksum>? Checksums { get; set; }

    /// <summary>The parallel method's table count, and the checksums its COPY streams gave (by file).</summary>
    public int? TableCount { get; set; }

    public System.Collections.Concurrent.ConcurrentDictionary<string, TableChecksum> Streamed { get; } = new(StringComparer.Ordinal);

    /// <summary>The pg_dump method's reader of the sequence values its dump sets; null until the dump is opened.</summary>
    public PgDumpSequenceValues? DumpedSequences { get; set; }

    public static async Task<PinnedDatabase> PinAsync(PgServer server, string name, CancellationToken cancellationToken)
    {
        var connection = await server.OpenAsync(name, cancellationToken).ConfigureAwait(false);
        try
        {
            string snapshotId;
            DateTimeOffset snapshotTime;
            await using (var command = new NpgsqlCommand("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT pg_export_snapshot(), now()", connection))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                snapshotId = reader.GetString(0);
                snapshotTime = reader.GetFieldValue<DateTimeOffset>(1);
            }

            return new PinnedDatabase(name, connection, snapshotId, snapshotTime);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask DisposeAsync() => await Connection.DisposeAsync().ConfigureAwait(false);
}
