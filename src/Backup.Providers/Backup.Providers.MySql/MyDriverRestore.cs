using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Backup.Core.Pipeline;
using Backup.Core.Repository;
using Backup.Core.Snapshots;
using Backup.Core.Storage;
using MySqlConnector;
using Backup.Core;

namespace Backup.Providers.MySql;

/// <summary>
/// Restores a driver-only dump through MySqlConnector alone: tables, then the rows of data.sql (a statement per line,
/// committed in batches, foreign-key and unique checks off as mysqldump scripts do), then routines, views (retried
/// until their dependencies exist), triggers and events, each under its recorded sql_mode.
/// </summary>
internal static class MyDriverRestore
{
    private const int StatementsPerCommit = 64;
    private const int UnknownTimeZone = 1298;

    private const string SessionSettings = "SET NAMES utf8mb4, time_zone = '+00:00', FOREIGN_KEY_CHECKS = 0, UNIQUE_CHECKS = 0, SQL_NOTES = 0, sql_mode = 'NO_AUTO_VALUE_ON_ZERO'";

    /// <summary>
    /// Restores a driver-only dump (one data.sql) or a parallel one (tables/*.sql, loaded on up to <paramref name="jobs"/>
    /// connections at once), checked by <see cref="MyDriverDump.OpenAsync"/>; with <paramref name="eventsDisabled"/> the
    /// events are created disabled.
    /// </summary>
    public static async Task RestoreAsync(BackupRepository repository, MyServer server, MyDriverDump dump, string source, string target, int jobs, bool eventsDisabled, CancellationToken cancellationToken)
    {
        var manifest = dump.Manifest;
        var dataNode = dump.Data;
        await using var connection = await server.OpenAsync(target, cancellationToken).ConfigureAwait(false);
        try
        {
            await ExecuteAsync(connection, SessionSettings, cancellationToken).ConfigureAwait(false);
            if (dataNode is not null)
            {
                foreach (var table in manifest.Tables)
                {
                    await MyDefinition.ExecuteAsync(connection, table.Create, MyDefinition.Kind.Table, table.Name, source, default, eventDisabled: false, cancellationToken).ConfigureAwait(false);
                    await EnsureEmptyAsync(connection, table.Name, cancellationToken).ConfigureAwait(false);
                }

                var columns = await StoredColumnsAsync(connection, manifest.Tables.Select(t => t.Name), cancellationToken).ConfigureAwait(false);
                await LoadDataAsync(repository, dataNode, $"{dump.Path}/{MyDriverManifest.DataFileName}", columns, connection, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                // Secondary keys are built after each table's rows, foreign keys once every table has its keys.
                var deferred = new Dictionary<string, (string Table, MyDeferredKeys Keys)>(StringComparer.Ordinal);
                foreach (var table in manifest.Tables)
                {
                    var split = MyDeferredKeys.Split(MyDefinition.Checked(table.Create, MyDefinition.Kind.Table, table.Name, target, source));
                    var create = MyDefinition.Checked(split.Create, MyDefinition.Kind.Table, table.Name, target, source);
                    await MyDefinition.ExecuteOneAsync(connection, create, $"the definition of table '{BackupKeys.Printable(table.Name)}'", cancellationToken).ConfigureAwait(false);
                    await EnsureEmptyAsync(connection, table.Name, cancellationToken).ConfigureAwait(false);
                    deferred[MyDriverManifest.TableFileName(table.Name)] = (table.Name, split);
                }

                var columns = await StoredColumnsAsync(connection, manifest.Tables.Select(t => t.Name), cancellationToken).ConfigureAwait(false);
                await LoadTablesAsync(repository, server, dump, target, jobs, deferred, columns, cancellationToken).ConfigureAwait(false);
                foreach (var (table, keys) in deferred.Values.Where(d => d.Keys.Keys.Count > 0))
                {
                    // Only a table LoadTablesAsync did not build keys for is left here (every table has a file, so none, as it stands).
                    await AddKeysAsync(connection, table, keys.Keys, cancellationToken).ConfigureAwait(false);
                }

                foreach (var (table, keys) in deferred.Values.Where(d => d.Keys.ForeignKeys.Count > 0))
                {
                    await AddKeysAsync(connection, table, keys.ForeignKeys, cancellationToken).ConfigureAwait(false);
                }
            }

            // CREATE VIEW folds a deterministic function called with constants (a LIKE pattern, an IN list), running its
            // body as the restoring user: the routines are created not deterministic until the views exist.
            var changed = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var routine in manifest.Routines)
            {
                if (await CreateAsync(connection, routine, MyDefinition.Kind.Routine, source, disabled: false, NotDeterministic, cancellationToken).ConfigureAwait(false))
                {
                    changed.Add(routine.Name);
                }
            }

            await EnsureNoDeterministicFunctionAsync(connection, cancellationToken).ConfigureAwait(false);
            await CreateViewsAsync(connection, manifest.Views, source, cancellationToken).ConfigureAwait(false);
            await RecreateAsync(connection, [.. manifest.Routines.Where(r => changed.Contains(r.Name))], source, cancellationToken).ConfigureAwait(false);
            foreach (var trigger in manifest.Triggers)
            {
                await CreateAsync(connection, trigger, MyDefinition.Kind.Trigger, source, disabled: false, transform: null, cancellationToken).ConfigureAwait(false);
            }

            foreach (var item in manifest.Events)
            {
                // Disabled when asked: its checked schedule's ENABLE became DISABLE. (A one-time event already past is
                // not created at all, so nothing may refer to it afterwards.)
                await CreateAsync(connection, item, MyDefinition.Kind.Event, source, eventsDisabled, transform: null, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (MySqlException ex)
        {
            // A value of the dump larger than the packet the server takes: the backup read it, so raising the limit is the way.
            var advice = ex.Message.Contains("max_allowed_packet", StringComparison.OrdinalIgnoreCase)
                ? " A row of the dump is larger than the server's max_allowed_packet: raise it (SET GLOBAL max_allowed_packet = 1073741824, or in the server's configuration) and restore again."
                : string.Empty;
            throw new DatabaseRestoreException($"driver-only restore into '{target}' failed: {Secrets.Scrub(ex.Message, server.Secrets)}{advice}", ex);
        }
    }

    /// <summary>Loads every table file of a parallel dump, the largest first, each on the next free one of <paramref name="jobs"/> connections; the first failure stops the others.</summary>
    private static async Task LoadTablesAsync(BackupRepository repository, MyServer server, MyDriverDump dump, string target, int jobs, Dictionary<string, (string Table, MyDeferredKeys Keys)> deferred, Dictionary<string, MyTableColumns> columns, CancellationToken cancellationToken)
    {
        var queue = new Queue<(TreeNode File, string Table)>(dump.TableFiles.OrderByDescending(t => t.File.Size));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        async Task WorkAsync()
        {
            await Task.Yield();
            try
            {
                await using var connection = await server.OpenAsync(target, stop.Token).ConfigureAwait(false);
                await ExecuteAsync(connection, SessionSettings, stop.Token).ConfigureAwait(false);
                while (true)
                {
                    (TreeNode File, string Table) next;
                    lock (queue)
                    {
                        if (!queue.TryDequeue(out next))
                        {
                            return;
                        }
                    }

                    var path = $"{dump.Path}/{MyDriverManifest.TablesDirectoryName}/{next.File.Name}";
                    await LoadDataAsync(repository, next.File, path, new Dictionary<string, MyTableColumns>(StringComparer.Ordinal) { [next.Table] = columns[next.Table] }, connection, stop.Token).ConfigureAwait(false);
                    (string Table, MyDeferredKeys Keys) table;
                    lock (deferred)
                    {
                        if (!deferred.TryGetValue(next.File.Name, out table))
                        {
                            continue;
                        }

                        // Its keys are built here: the caller then builds only those of tables that had no file.
                        deferred[next.File.Name] = (table.Table, table.Keys with { Keys = [] });
                    }

                    if (table.Keys.Keys.Count > 0)
                    {
                        await AddKeysAsync(connection, table.Table, table.Keys.Keys, stop.Token).ConfigureAwait(false);
                    }
                }
            }
            catch
            {
                await stop.CancelAsync().ConfigureAwait(false);
                throw;
            }
        }

        var workers = Enumerable.Range(0, Math.Max(1, Math.Min(jobs, queue.Count))).Select(_ => WorkAsync()).ToList();
        try
        {
            await Task.WhenAll(workers).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // A worker that failed cancelled the others: report its failure, not theirs.
            throw workers.Select(w => w.Exception?.InnerException).First(e => e is not null and not OperationCanceledException)!;
        }
    }

    /// <summary>The stored columns of each of <paramref name="tables"/> as created, which their row lines must list (<see cref="MyRowStatement"/>).</summary>
    private static async Task<Dictionary<string, MyTableColumns>> StoredColumnsAsync(MySqlConnection connection, IEnumerable<string> tables, CancellationToken cancellationToken)
    {
        var columns = new Dictionary<string, MyTableColumns>(StringComparer.Ordinal);
        foreach (var table in tables)
        {
            columns[table] = await MyTableColumns.ReadAsync(connection, table, cancellationToken).ConfigureAwait(false);
        }

        return columns;
    }

    /// <summary>
    /// Fails the restore when a table came out of its CREATE with rows: whatever form filled it (a query, a table value
    /// constructor, a syntax this check does not know) read them from somewhere other than the dump.
    /// </summary>
    private static async Task EnsureEmptyAsync(MySqlConnection connection, string table, CancellationToken cancellationToken)
    {
        await using var command = new MySqlCommand($"SELECT EXISTS (SELECT 1 FROM {MyServer.QuoteIdentifier(table)})", connection);
        if (Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture) != 0)
        {
            throw DumpDirectory.Damaged($"The dump's manifest lists table '{BackupKeys.Printable(table)}' with a definition that filled it with rows as it was created (a backup's definition creates an empty table)");
        }
    }

    /// <summary>Builds keys the restore held back from a table's CREATE (<see cref="MyDeferredKeys"/>); the clauses come from the snapshot, so the server parses the statement first.</summary>
    private static Task AddKeysAsync(MySqlConnection connection, string table, IReadOnlyList<string> clauses, CancellationToken cancellationToken) =>
        MyDefinition.ExecuteOneAsync(connection, $"ALTER TABLE {MyServer.QuoteIdentifier(table)} {string.Join(", ", clauses)}", $"a key of table '{BackupKeys.Printable(table)}'", cancellationToken);

    /// <summary>Runs the statements of <paramref name="dataNode"/> (at <paramref name="path"/>), each checked to be a row INSERT into one of <paramref name="tables"/> (their INSERT starts, <see cref="MyRowStatement"/>), committed in batches.</summary>
    internal static async Task LoadDataAsync(BackupRepository repository, TreeNode dataNode, string path, IReadOnlyDictionary<string, MyTableColumns> tables, MySqlConnection connection, CancellationToken cancellationToken)
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 8 << 20, resumeWriterThreshold: 4 << 20, useSynchronizationContext: false));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var feed = FeedAsync(repository, dataNode, pipe.Writer, stop.Token);
        try
        {
            using var reader = new StreamReader(pipe.Reader.AsStream(), new UTF8Encoding(false, throwOnInvalidBytes: true), detectEncodingFromByteOrderMarks: false, bufferSize: 1 << 16);
            var pending = 0;
            var number = 0L;
            long packetLimit;
            await using (var limit = new MySqlCommand("SELECT @@max_allowed_packet", connection))
            {
                packetLimit = Convert.ToInt64(await limit.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
            }

            await ExecuteAsync(connection, "START TRANSACTION", cancellationToken).ConfigureAwait(false);
            while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                number++;
                if (line.Length == 0)
                {
                    continue;
                }

                if (MyRowStatement.Problem(line, tables) is { } problem)
                {
                    throw DumpDirectory.Damaged($"Line {number:N0} of '{path}' is not a row INSERT as a backup writes it: {problem}");
                }

                // Said before sending: the server would close the connection mid-write, and the driver report a broken pipe.
                if (line.Length >= packetLimit / 4 && Encoding.UTF8.GetByteCount(line) >= packetLimit)
                {
                    throw new DatabaseRestoreException(
                        $"Line {number:N0} of '{path}' is a statement of {Encoding.UTF8.GetByteCount(line):N0} bytes (a row of the dump is that large), more than the server's max_allowed_packet of {packetLimit:N0}: " +
                        "raise it (SET GLOBAL max_allowed_packet = 1073741824, or in the server's configuration) and restore again.");
                }

                await ExecuteAsync(connection, line, cancellationToken).ConfigureAwait(false);
                if (++pending == StatementsPerCommit)
                {
                    await ExecuteAsync(connection, "COMMIT; START TRANSACTION", cancellationToken).ConfigureAwait(false);
                    pending = 0;
                }
            }

            await ExecuteAsync(connection, "COMMIT", cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await pipe.Reader.CompleteAsync().ConfigureAwait(false);
            await feed.ConfigureAwait(false);
        }
    }

    /// <summary>Copies the data file into the pipe; completes it with the failure, if any, so the line reader sees it.</summary>
    private static async Task FeedAsync(BackupRepository repository, TreeNode node, PipeWriter writer, CancellationToken cancellationToken)
    {
        await Task.Yield();
        Exception? failure = null;
        try
        {
            await repository.Content.CopyToAsync(node.Content ?? [], async (memory, ct) =>
            {
                if ((await writer.WriteAsync(memory, ct).ConfigureAwait(false)).IsCompleted)
                {
                    throw new OperationCanceledException("the restore stopped reading", ct);
                }
            }, cancellationToken).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Handed to the reader, which rethrows it.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            failure = ex;
        }

        await writer.CompleteAsync(failure).ConfigureAwait(false);
    }

    internal static async Task CreateViewsAsync(MySqlConnection connection, IReadOnlyList<MyDriverObject> views, string source, CancellationToken cancellationToken)
    {
        // CREATE VIEW prepares the views it reads, folding their deterministic calls: a view reading another database
        // would run that database's code. What this user can see is what it could reach.
        var databases = await DatabasesAsync(connection, cancellationToken).ConfigureAwait(false);
        var target = connection.Database;
        string RefuseOtherDatabases(string statement, MySqlCode.Mode mode) =>
            MyDefinition.OtherDatabaseRead(statement, mode, target, databases) is { } other
                ? throw DumpDirectory.Damaged($"The dump's manifest holds a view that reads the database '{BackupKeys.Printable(other)}', which creating it could run code of; a backup of a view like that fails")
                : statement;

        // A view may select from another view: create what can be created until nothing is left (or nothing moves).
        var remaining = views.ToList();
        while (remaining.Count > 0)
        {
            var failed = new List<MyDriverObject>();
            MySqlException? last = null;
            foreach (var view in remaining)
            {
                try
                {
                    await CreateAsync(connection, view, MyDefinition.Kind.View, source, disabled: false, RefuseOtherDatabases, cancellationToken).ConfigureAwait(false);
                }
                catch (MySqlException ex) when (ex.ErrorCode is MySqlErrorCode.NoSuchTable or MySqlErrorCode.BadFieldError or MySqlErrorCode.ViewInvalid)
                {
                    failed.Add(view);
                    last = ex;
                }
            }

            if (failed.Count == remaining.Count)
            {
                throw last!;
            }

            remaining = failed;
        }
    }

    /// <summary>The databases the connection's user can see.</summary>
    internal static async Task<HashSet<string>> DatabasesAsync(MySqlConnection connection, CancellationToken cancellationToken)
    {
        var databases = new HashSet<string>(StringComparer.Ordinal);
        await using var command = new MySqlCommand("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            databases.Add(reader.GetString(0));
        }

        return databases;
    }

    /// <summary>
    /// <paramref name="create"/> (a routine's, read in <paramref name="mode"/>) with every DETERMINISTIC not already
    /// after NOT made NOT DETERMINISTIC: the word is reserved, so bare it is the characteristic, of the routine or of a
    /// package's member. Text this reader cannot read alike on every server is refused if it holds the word at all.
    /// </summary>
    internal static string NotDeterministic(string create, MySqlCode.Mode mode)
    {
        var tokens = MySqlCode.Tokens(create, mode).ToList();
        if ((tokens.Any(t => t.Kind == MySqlCode.TokenKind.Ambiguous) || MySqlCode.HasVersionedComment(create, mode)) && MySqlCode.HasWord(create, "DETERMINISTIC", mode))
        {
            // A server skips a versioned comment of a later version: NOT inside one may be no NOT to it.
            throw DumpDirectory.Damaged("The dump's manifest holds a routine with DETERMINISTIC and a versioned comment, which servers read differently");
        }

        var result = new System.Text.StringBuilder(create);
        for (var i = tokens.Count - 1; i >= 0; i--)
        {
            var token = tokens[i];
            if (token.Kind == MySqlCode.TokenKind.Word && create.AsSpan(token.Start, token.End - token.Start).Equals("DETERMINISTIC", StringComparison.OrdinalIgnoreCase)
                && !(i > 0 && tokens[i - 1].Kind == MySqlCode.TokenKind.Word && create.AsSpan(tokens[i - 1].Start, tokens[i - 1].End - tokens[i - 1].Start).Equals("NOT", StringComparison.OrdinalIgnoreCase)))
            {
                result.Insert(token.Start, "NOT ");
            }
        }

        return result.ToString();
    }

    /// <summary>Fails the restore when a function came out deterministic after <see cref="NotDeterministic"/>: the views would run it.</summary>
    private static async Task EnsureNoDeterministicFunctionAsync(MySqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new MySqlCommand("SELECT ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE() AND ROUTINE_TYPE = 'FUNCTION' AND IS_DETERMINISTIC = 'YES' LIMIT 1", connection);
        if (await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is string name)
        {
            throw DumpDirectory.Damaged($"The dump's manifest holds function '{BackupKeys.Printable(name)}', which stayed deterministic where the restore reads it as not");
        }
    }

    /// <summary>
    /// Drops the routines named in <paramref name="routines"/> (every routine of each name, in the snapshot's order) and
    /// creates them again as the snapshot has them, now that the views exist; dropping a package drops its body too.
    /// </summary>
    private static async Task RecreateAsync(MySqlConnection connection, List<MyDriverObject> routines, string source, CancellationToken cancellationToken)
    {
        var kinds = new List<(string Name, string Kind)>();
        await using (var list = new MySqlCommand("SELECT ROUTINE_NAME, ROUTINE_TYPE FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE()", connection))
        await using (var reader = await list.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                kinds.Add((reader.GetString(0), reader.GetString(1)));
            }
        }

        var names = routines.Select(r => r.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var drops = kinds.Where(k => names.Contains(k.Name)).ToList();
        foreach (var (name, kind) in drops.Where(d => d.Kind != "PACKAGE BODY" || !drops.Contains((d.Name, "PACKAGE"))))
        {
            // DROP PACKAGE is known to MariaDB's ORACLE mode only; the next CREATE sets its own mode.
            var mode = kind.StartsWith("PACKAGE", StringComparison.Ordinal) ? "SET SESSION sql_mode = 'ORACLE'; " : string.Empty;
            await ExecuteAsync(connection, $"{mode}DROP {kind} {MyServer.QuoteIdentifier(name)}", cancellationToken).ConfigureAwait(false);
        }

        foreach (var routine in routines)
        {
            await CreateAsync(connection, routine, MyDefinition.Kind.Routine, source, disabled: false, transform: null, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Creates a routine, view, trigger or event under the sql_mode it was created under (an event <paramref name="disabled"/>
    /// when asked, the text through <paramref name="transform"/> when given), read in that mode by the checks; true when
    /// the transform changed the text.
    /// </summary>
    internal static async Task<bool> CreateAsync(MySqlConnection connection, MyDriverObject item, MyDefinition.Kind kind, string source, bool disabled, Func<string, MySqlCode.Mode, string>? transform, CancellationToken cancellationToken)
    {
        MySqlCode.Mode mode;
        await using (var command = new MySqlCommand("SET SESSION sql_mode = @mode, SESSION time_zone = '+00:00'; SELECT @@SESSION.sql_mode", connection))
        {
            command.Parameters.AddWithValue("@mode", item.SqlMode ?? "NO_AUTO_VALUE_ON_ZERO");
            mode = MySqlCode.Mode.Of(Convert.ToString(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty);
        }

        if (kind == MyDefinition.Kind.Event && item.TimeZone is { } zone)
        {
            // An event's STARTS, ENDS and AT are written in its time zone, and it keeps the zone it was created in. A
            // named zone needs the server's time zone tables; without them the event is created in UTC, as before.
            await using var setZone = new MySqlCommand("SET SESSION time_zone = @zone", connection);
            setZone.Parameters.AddWithValue("@zone", zone);
            try
            {
                await setZone.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (MySqlException ex) when (ex.Number == UnknownTimeZone)
            {
            }
        }

        var statement = MyDriverManifest.WithoutDefiner(item.Create);
        var transformed = transform?.Invoke(statement, mode) ?? statement;
        await MyDefinition.ExecuteAsync(connection, transformed, kind, item.Name, source, mode, disabled && kind == MyDefinition.Kind.Event, cancellationToken).ConfigureAwait(false);
        return transformed != statement;
    }

    internal static async Task ExecuteAsync(MySqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new MySqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
