using System.Diagnostics;
using Backup.Core.Repository;
using Backup.Core.Snapshots;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MySqlConnector;
using Backup.Core;

namespace Backup.Providers.MySql;

/// <summary>
/// Restores a database from a MariaDB/MySQL snapshot with the mariadb (or mysql) client reading the dump from
/// standard input (a driver-only dump through MySqlConnector alone): into a new database, or over an existing one (dropped and recreated) when
/// <see cref="MySqlRestoreOptions.Clean"/> is set. A restore that fails or is interrupted drops the database it
/// created; one it restored over is left partly restored, as the exception's message says.
/// </summary>
public sealed class MySqlRestorer
{
    private readonly BackupRepository _repository;
    private readonly ILogger _logger;

    /// <summary>Restores from <paramref name="repository"/>.</summary>
    public MySqlRestorer(BackupRepository repository, ILogger<MySqlRestorer>? logger = null)
    {
        _repository = repository ?? throw new ArgumentNullException(nameof(repository));
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>The databases a MariaDB/MySQL snapshot holds.</summary>
    /// <exception cref="ArgumentException">The snapshot is not a MariaDB/MySQL backup.</exception>
    /// <exception cref="DatabaseRestoreException">The snapshot's list of databases is damaged.</exception>
    public static IReadOnlyList<string> DatabasesOf(Snapshot snapshot) => SnapshotDatabases.Of(snapshot, MySqlSource.KindName, "MariaDB/MySQL", MyJson.Default.ListString);

    /// <summary>Restores the snapshot named by <paramref name="snapshotIdOrPrefix"/>.</summary>
    /// <exception cref="DatabaseRestoreException">The restore failed; the message carries the client's stderr (password scrubbed).</exception>
    public async Task<DatabaseRestoreResult> RestoreAsync(string snapshotIdOrPrefix, MySqlRestoreOptions options, CancellationToken cancellationToken = default)
    {
        var snapshot = await _repository.Snapshots.FindAsync(snapshotIdOrPrefix, cancellationToken).ConfigureAwait(false);
        return await RestoreAsync(snapshot, options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Restores one database of <paramref name="snapshot"/>.</summary>
    /// <exception cref="DatabaseRestoreException">The restore failed; the message carries the client's stderr (password scrubbed).</exception>
    public async Task<DatabaseRestoreResult> RestoreAsync(Snapshot snapshot, MySqlRestoreOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var server = new MyServer(options);
        var databases = DatabasesOf(snapshot);
        var source = SnapshotDatabases.Pick(snapshot, databases, options.SourceDatabase, nameof(options));

        var target = options.TargetDatabase ?? server.Database!;
        if (options.Verify)
        {
            RestoreVerification.RequireChecksums(snapshot, MySqlSource.KindName, source);
        }

        var driver = snapshot.Metadata.GetValueOrDefault($"{MySqlSource.KindName}.method") is "driver" or "parallel";
        var tool = driver ? null : server.LocateTool("mariadb", "mysql");
        var started = Stopwatch.GetTimestamp();
        var entry = SnapshotDatabases.EntryOf(snapshot, MySqlSource.KindName, source);
        var node = await SnapshotFiles.FindAsync(_repository, snapshot, entry, cancellationToken).ConfigureAwait(false);

        // The dump is checked as far as it can be before the target database is created (or an existing one dropped),
        // so that a damaged or altered snapshot fails with what is wrong with it and costs nothing.
        var driverDump = driver ? await MyDriverDump.OpenAsync(_repository, node, entry, cancellationToken).ConfigureAwait(false) : null;
        if (!driver && node.Type != NodeType.File)
        {
            throw DumpDirectory.Damaged($"The dump '{entry}' is not a file, as its snapshot's method says it is");
        }

        bool created;
        MyScratchUser? user = null;
        await using (var admin = await server.OpenCheckedAsync(null, cancellationToken).ConfigureAwait(false))
        {
            await using var exists = new MySqlCommand("SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = @db", admin);
            exists.Parameters.AddWithValue("@db", target);
            string? charset = null, collation = null;
            await using (var reader = await exists.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    (charset, collation) = (reader.GetString(0), reader.GetString(1));
                }
            }

            if (charset is not null && !options.Clean)
            {
                throw new DatabaseRestoreException($"Database '{target}' already exists", DatabaseRestoreRemedy.CleanOrAnotherTarget);
            }

            var quoted = MyServer.QuoteIdentifier(target);
            var existing = charset;

            // As the snapshot's database was created; a snapshot from before that was recorded: as the existing one, else utf8mb4.
            if (MyDatabaseDefaults.Read(snapshot.Metadata, source) is { } recorded)
            {
                await MyDatabaseDefaults.EnsureKnownAsync(admin, recorded, source, cancellationToken).ConfigureAwait(false);
                (charset, collation) = recorded;
            }

            var defaults = charset is null ? "CHARACTER SET utf8mb4" : $"CHARACTER SET {charset} COLLATE {collation}";
            var sql = existing is null ? $"CREATE DATABASE {quoted} {defaults}" : $"DROP DATABASE {quoted}; CREATE DATABASE {quoted} {defaults}";
            await using var create = new MySqlCommand(sql, admin);
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            created = existing is null;
            if (options.UseScratchUser && await MyScratchUser.IsPrivilegedAsync(admin, cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    user = await MyScratchUser.CreateAsync(admin, target, cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    await using var drop = new MySqlCommand($"DROP DATABASE IF EXISTS {quoted}", admin);
                    await drop.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
                    throw;
                }
            }
        }

        var passwordChecked = false;
        DatabaseRestoreResult restored;
        try
        {
            var restoring = user is null ? server : await SignInAsync(server.As(user.Name, user.Password), user, target, cancellationToken).ConfigureAwait(false);
            var bytes = driver
                ? await RestoreDriverDumpAsync(restoring, driverDump!, node, source, target, options.Jobs, options.EventsDisabled, cancellationToken).ConfigureAwait(false)
                : await RestoreWithClientAsync(restoring, tool!, node, target, options.EventsDisabled, definersToCurrentUser: user is not null, cancellationToken).ConfigureAwait(false);
            if (user is not null)
            {
                await using var admin = await server.OpenAsync(null, cancellationToken).ConfigureAwait(false);
                var unchanged = await user.PasswordUnchangedAsync(admin, cancellationToken).ConfigureAwait(false);
                passwordChecked = true;
                try
                {
                    await MyScratchUser.LockAsync(admin, target, cancellationToken).ConfigureAwait(false);
                }
                catch (InvalidOperationException ex)
                {
                    throw new DatabaseRestoreException($"The restore into '{target}' was stopped: {ex.Message}.", ex);
                }

                if (!unchanged)
                {
                    throw new DatabaseRestoreException($"The restore into '{target}' was stopped: {MyScratchUser.PasswordChanged(user.Name)}.");
                }
            }

            var duration = Stopwatch.GetElapsedTime(started);
            Log.Restored(_logger, source, target, duration.TotalSeconds);
            restored = new DatabaseRestoreResult { SourceDatabase = source, TargetDatabase = target, Duration = duration, Bytes = bytes };
        }
        catch (Exception ex)
        {
            var failure = user is null || passwordChecked ? ex : await PasswordFailureAsync(server, user, target, ex).ConfigureAwait(false);
            var rephrased = await FailedRestore.SettleAsync(failure, target, created, transactional: false, async ct =>
            {
                await using var admin = await server.OpenAsync(null, ct).ConfigureAwait(false);
                if (user is not null)
                {
                    try
                    {
                        await MyScratchUser.DropAsync(admin, target, ct).ConfigureAwait(false);
                    }
                    catch (InvalidOperationException ex)
                    {
                        // Everything is dropped; what outlived the first drop is what the failure should name.
                        Log.RestoreFailed(_logger, target, ex.Message);
                    }

                    return true;
                }

                // By name: MariaDB/MySQL databases have no identity to tell ours from one a concurrent restore made.
                await using var drop = new MySqlCommand($"DROP DATABASE IF EXISTS {MyServer.QuoteIdentifier(target)}", admin);
                await drop.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                return true;
            }, state => Log.RestoreFailed(_logger, target, state)).ConfigureAwait(false);
            if (rephrased is not null)
            {
                throw rephrased;
            }

            if (failure != ex)
            {
                throw failure;
            }

            throw;
        }

        // After the try: the restore is done, and nothing the verification meets (a cancellation) may undo it.
        return options.Verify ? restored with { Verification = await RestoreVerification.AfterRestoreAsync(restored.TargetDatabase, ct => VerifyRestoredAsync(snapshot, options, ct), cancellationToken).ConfigureAwait(false) } : restored;
    }

    /// <summary>
    /// Compares the database a restore of <paramref name="snapshot"/> with <paramref name="options"/> made (its
    /// <see cref="MySqlRestoreOptions.TargetDatabase"/>, restored from its <see cref="MySqlRestoreOptions.SourceDatabase"/>)
    /// with the row counts and checksums recorded at backup time, measured as they were then. Reads only: whatever
    /// differs, the database stays as it is. What the restore's <see cref="MySqlRestoreOptions.Verify"/> runs; call it
    /// yourself to verify later, or again.
    /// </summary>
    /// <remarks>Anything written to the database since the restore (an application already connected, an event) differs too.</remarks>
    /// <exception cref="ArgumentException">The snapshot recorded no checksums for the database, so it cannot be verified.</exception>
    /// <exception cref="DatabaseRestoreException">The recorded checksums are not readable.</exception>
    public async Task<VerificationReport> VerifyRestoredAsync(Snapshot snapshot, MySqlRestoreOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var source = SnapshotDatabases.Pick(snapshot, DatabasesOf(snapshot), options.SourceDatabase, nameof(options));
        var target = options.TargetDatabase ?? new MyServer(options).Database!;
        RestoreVerification.RequireChecksums(snapshot, MySqlSource.KindName, source);
        var report = await RestoreVerification.CompareAsync(snapshot, source, ct => MySqlVerifier.CompareRestoredAsync(snapshot, source, target, options, ct), cancellationToken).ConfigureAwait(false);
        Log.RestoreVerified(_logger, target, report.TablesCompared, report.Mismatches.Count);
        return report;
    }

    private async Task<long> RestoreDriverDumpAsync(MyServer server, MyDriverDump dump, TreeNode node, string source, string target, int jobs, bool eventsDisabled, CancellationToken cancellationToken)
    {
        await MyDriverRestore.RestoreAsync(_repository, server, dump, source, target, jobs, eventsDisabled, cancellationToken).ConfigureAwait(false);
        return await SnapshotFiles.TotalSizeAsync(_repository, node, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// What stopped a restore as <paramref name="user"/>: that the snapshot's SQL gave the user a password of its own
    /// (the restore's next sign-in as the user then fails as if the server had refused it), or else <paramref name="failure"/>.
    /// </summary>
    private static async Task<Exception> PasswordFailureAsync(MyServer server, MyScratchUser user, string target, Exception failure)
    {
        try
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            await using var admin = await server.OpenAsync(null, limit.Token).ConfigureAwait(false);
            return await user.PasswordUnchangedAsync(admin, limit.Token).ConfigureAwait(false)
                ? failure
                : new DatabaseRestoreException($"The restore into '{target}' was stopped: {MyScratchUser.PasswordChanged(user.Name)}.", failure);
        }
        catch (Exception ex) when (ex is MySqlException or OperationCanceledException or TimeoutException)
        {
            return failure;
        }
    }

    /// <summary><paramref name="server"/> once <paramref name="user"/> has signed in to <paramref name="target"/>.</summary>
    /// <exception cref="DatabaseRestoreException">The server refused the user's sign-in.</exception>
    private static async Task<MyServer> SignInAsync(MyServer server, MyScratchUser user, string target, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await server.OpenAsync(target, cancellationToken).ConfigureAwait(false);
        }
        catch (MySqlException ex) when (ex.ErrorCode is MySqlErrorCode.AccessDenied or MySqlErrorCode.DatabaseAccessDenied)
        {
            throw new DatabaseRestoreException(
                $"The restore runs the snapshot's SQL as a user made for it ('{user.Name}'), since the connecting user holds privileges on every database, and the server refused that user's sign-in ({ex.Message}). " +
                "Test-restore as a user that may touch only the scratch databases (docs/databases.md), or, only if you trust everyone who can write to the repository, turn UseScratchUser off.",
                ex);
        }

        return server;
    }

    private async Task<long> RestoreWithClientAsync(MyServer server, string tool, TreeNode node, string target, bool eventsDisabled, bool definersToCurrentUser, CancellationToken cancellationToken)
    {
        using var optionFile = await server.WriteOptionFileAsync(tool, cancellationToken).ConfigureAwait(false);
        // --binary-mode also stops the client from running its own commands from the dump (system and \! would run a
        // shell command on this host): a dump written or altered by someone else is only SQL to the server.
        // --local-infile=0: LOAD DATA LOCAL INFILE in the dump would have the client read any file of this host's user
        // (a repository's password file, an SSH key) into a table, and an error message would carry it into the report.
        await using var process = ToolProcess.Start(tool,
            [$"--defaults-extra-file={optionFile.Path}", "--local-infile=0", "--default-character-set=utf8mb4", "--binary-mode", $"--database={target}"],
            new Dictionary<string, string?> { ["MYSQL_PWD"] = null, ["LC_ALL"] = "C" }, server.Secrets, redirectStdin: true);
        process.DiscardOutput();
        var outcome = await SnapshotFiles.FeedAsync(_repository, node, process, definersToCurrentUser ? stdin => new MyDumpDefinerFilter(stdin) : null, cancellationToken).ConfigureAwait(false);
        if (outcome.ExitCode != 0 || outcome.StreamFailure is not null || outcome.ErrorLines(MyServer.IsErrorLine).Count > 0)
        {
            throw new DatabaseRestoreException(outcome.Describe($"restore into '{target}' failed"));
        }

        if (eventsDisabled)
        {
            await DisableEventsAsync(server, target, cancellationToken).ConfigureAwait(false);
        }

        return node.Size;
    }

    /// <summary>Disables every event of <paramref name="target"/>, which the mariadb client created as the dump said.</summary>
    private static async Task DisableEventsAsync(MyServer server, string target, CancellationToken cancellationToken)
    {
        await using var connection = await server.OpenAsync(target, cancellationToken).ConfigureAwait(false);
        var events = new List<string>();
        await using (var list = new MySqlCommand("SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE() AND STATUS = 'ENABLED'", connection))
        await using (var reader = await list.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                events.Add(reader.GetString(0));
            }
        }

        foreach (var name in events)
        {
            await MyDriverRestore.ExecuteAsync(connection, $"ALTER EVENT {MyServer.QuoteIdentifier(name)} DISABLE", cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>
/// Proves a MariaDB/MySQL snapshot: restores each database into a scratch database (created and dropped by the
/// library), compares per-table row counts and checksums with the recorded ones, runs CHECK TABLE on every
/// table, and measures the restore time (the achieved RTO).
/// </summary>
public sealed class MySqlVerifier
{
    private readonly BackupRepository _repository;

    /// <summary>Verifies snapshots of <paramref name="repository"/>.</summary>
    public MySqlVerifier(BackupRepository repository) => _repository = repository ?? throw new ArgumentNullException(nameof(repository));

    /// <summary>Verifies <paramref name="snapshot"/>; a failed restore, a mismatching table or a CHECK TABLE finding makes the report fail.</summary>
    /// <exception cref="DatabaseRestoreException">The snapshot's list of databases is damaged, so there is nothing to restore and compare.</exception>
    public Task<VerificationReport> VerifyAsync(Snapshot snapshot, MySqlVerifyOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var databases = MySqlRestorer.DatabasesOf(snapshot);
        return new Scratch(new MyServer(options), new MySqlRestorer(_repository), options, ChecksumKindOf(snapshot))
            .VerifyAsync(snapshot, databases, options.ScratchDatabasePrefix, [], cancellationToken);
    }

    /// <summary>Compares the database <paramref name="target"/>, restored from <paramref name="database"/> of <paramref name="snapshot"/>, with the recorded checksums and runs CHECK TABLE; it stays.</summary>
    internal static Task<VerificationReport> CompareAsync(Snapshot snapshot, string database, string target, MySqlVerifyOptions options, CancellationToken cancellationToken) =>
        new Scratch(new MyServer(options), null, options, ChecksumKindOf(snapshot)).CompareAsync(snapshot, database, target, cancellationToken);

    /// <summary>
    /// Compares the database <paramref name="target"/>, restored from <paramref name="database"/> of <paramref name="snapshot"/>
    /// by a restore with <paramref name="restored"/>, with the recorded checksums; no CHECK TABLE. Entered as the
    /// restore's scratch user only when it made one.
    /// </summary>
    internal static Task<VerificationReport> CompareRestoredAsync(Snapshot snapshot, string database, string target, MySqlRestoreOptions restored, CancellationToken cancellationToken)
    {
        var options = new MySqlVerifyOptions
        {
            ConnectionString = restored.ConnectionString,
            Password = restored.Password,
            ClientToolsDirectory = restored.ClientToolsDirectory,
            UseScratchUser = restored.UseScratchUser,
        };
        return new Scratch(new MyServer(options), null, options, ChecksumKindOf(snapshot)).CompareAsync(snapshot, database, target, ComparisonScope.Restored([]), cancellationToken);
    }

    /// <summary>Drops <paramref name="database"/> if it exists.</summary>
    internal static Task DropAsync(string database, MySqlVerifyOptions options, CancellationToken cancellationToken) =>
        new Scratch(new MyServer(options), null, options, null).DropDatabaseAsync(database, cancellationToken);

    /// <summary>The kind of checksums <paramref name="snapshot"/> recorded: <see cref="MyRowChecksum.Kind"/> or <see cref="MyRowChecksum.ServerTextKind"/>, or null for <see cref="MyChecksums"/>' (snapshots before the key existed).</summary>
    private static string? ChecksumKindOf(Snapshot snapshot) => snapshot.Metadata.GetValueOrDefault($"{MySqlSource.KindName}.checksum_kind");

    /// <summary>MariaDB/MySQL's part of a test restore: the client into the scratch database, the snapshot's kind of checksums, CHECK TABLE, DROP DATABASE.</summary>
    private sealed class Scratch(MyServer server, MySqlRestorer? restorer, MySqlVerifyOptions options, string? checksumKind) : ScratchVerifier<MySqlConnection>
    {
        /// <summary>The scratch users entered for the comparison and the hook, by database, with the password they were given.</summary>
        private readonly Dictionary<string, MyScratchUser> _entered = new(StringComparer.Ordinal);

        protected override string Kind => MySqlSource.KindName;

        protected override async Task SignInAsync(CancellationToken cancellationToken)
        {
            await using var connection = await server.OpenCheckedAsync(null, cancellationToken).ConfigureAwait(false);
        }

        // CHECK TABLE runs on every restored table, so they are listed whether or not checksums were recorded.
        protected override bool AlwaysMeasure => true;

        protected override Task<DatabaseRestoreResult> RestoreAsync(Snapshot snapshot, string database, string scratch, CancellationToken cancellationToken) =>
            restorer!.RestoreAsync(snapshot, new MySqlRestoreOptions
            {
                ConnectionString = options.ConnectionString,
                Password = options.Password,
                ClientToolsDirectory = options.ClientToolsDirectory,
                SourceDatabase = database,
                TargetDatabase = scratch,
                EventsDisabled = true,
                UseScratchUser = options.UseScratchUser,
            }, cancellationToken);

        /// <summary>
        /// A scratch database restored by a scratch user is entered as that user (with a new password): what the
        /// comparison and the caller's hook read there is the snapshot's, and a function or view of it declared
        /// SQL SECURITY INVOKER would run with the rights of whoever reads it.
        /// </summary>
        protected override async Task<MySqlConnection> OpenAsync(string scratch, CancellationToken cancellationToken)
        {
            MyScratchUser? user = null;
            // Not for a database a real restore made (UseScratchUser off): an account that happens to bear its name is not ours to touch.
            if (options.UseScratchUser)
            {
                await using var admin = await server.OpenAsync(null, cancellationToken).ConfigureAwait(false);
                if (await MyScratchUser.HostOfAsync(admin, scratch, cancellationToken).ConfigureAwait(false) is { } host)
                {
                    _entered[scratch] = user = await MyScratchUser.UnlockAsync(admin, scratch, host, cancellationToken).ConfigureAwait(false);
                }
            }

            return await (user is null ? server : server.As(scratch, user.Password)).OpenAsync(scratch, cancellationToken).ConfigureAwait(false);
        }

        protected override async Task ReleaseAsync(string scratch, CancellationToken cancellationToken)
        {
            if (!options.UseScratchUser)
            {
                return;
            }

            await using var admin = await server.OpenAsync(null, cancellationToken).ConfigureAwait(false);
            var unchanged = await PasswordUnchangedAsync(admin, scratch, cancellationToken).ConfigureAwait(false);
            await MyScratchUser.LockAsync(admin, scratch, cancellationToken).ConfigureAwait(false);
            if (!unchanged)
            {
                throw new NotComparableException(MyScratchUser.PasswordChanged(scratch));
            }
        }

        /// <summary>Whether the scratch user of <paramref name="scratch"/>, if it was entered, still has the password it was given then (and forgets it).</summary>
        private async Task<bool> PasswordUnchangedAsync(MySqlConnection admin, string scratch, CancellationToken cancellationToken) =>
            !_entered.Remove(scratch, out var user) || await user.PasswordUnchangedAsync(admin, cancellationToken).ConfigureAwait(false);

        protected override async Task<string?> OverPrivilegedAsync(CancellationToken cancellationToken)
        {
            if (options.UseScratchUser)
            {
                // Such a user restores through a scratch user; any other is not what the note is about.
                return null;
            }

            await using var connection = await server.OpenAsync(null, cancellationToken).ConfigureAwait(false);
            return await MyScratchUser.IsPrivilegedAsync(connection, cancellationToken).ConfigureAwait(false)
                ? "the scratch server's user holds privileges on every database (ON *.*)"
                : null;
        }

        protected override async Task<string?> ServerNoteAsync(CancellationToken cancellationToken)
        {
            // With symbolic links on (MariaDB's default), CREATE TABLE … DATA DIRECTORY needs no FILE privilege: a Dump
            // snapshot's table could put its files in any directory the server's account may write.
            await using var connection = await server.OpenAsync(null, cancellationToken).ConfigureAwait(false);
            await using var command = new MySqlCommand("SELECT @@have_symlink", connection);
            return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is string value && value.Equals("YES", StringComparison.OrdinalIgnoreCase)
                ? "the scratch server lets tables keep their files in directories of their choosing (have_symlink): a snapshot's table could write files outside its data directory; start scratch servers with symbolic-links=0 (skip-symbolic-links)"
                : null;
        }

        protected override Task AfterRestoreAsync(MySqlConnection connection, string database, CancellationToken cancellationToken) =>
            options.AfterRestore?.Invoke(connection, database, cancellationToken) ?? Task.CompletedTask;

        protected override async Task<IReadOnlyList<TableChecksum>> MeasureAsync(MySqlConnection connection, string scratch, CancellationToken cancellationToken)
        {
            await using (var settings = new MySqlCommand(MyChecksums.SessionSettings, connection))
            {
                await settings.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            return checksumKind switch
            {
                null => await MyChecksums.MeasureAsync(connection, scratch, cancellationToken).ConfigureAwait(false),
                MyRowChecksum.Kind => await MyDriverData.MeasureAsync(connection, scratch, cancellationToken).ConfigureAwait(false),
                MyRowChecksum.ServerTextKind => await MyDriverData.MeasureServerTextAsync(connection, scratch, cancellationToken).ConfigureAwait(false),
                _ => throw new DatabaseRestoreException($"The snapshot's checksums are of a kind this version does not know ('{checksumKind}'); verify it with a newer version."),
            };
        }

        protected override async Task CheckIntegrityAsync(MySqlConnection connection, string database, string scratch, IReadOnlyList<TableChecksum>? tables, List<string> problems, List<string> notes, CancellationToken cancellationToken)
        {
            foreach (var table in tables ?? [])
            {
                await using var check = new MySqlCommand($"CHECK TABLE {MyServer.QuoteIdentifier(scratch)}.{MyServer.QuoteIdentifier(table.Table)}", connection) { CommandTimeout = 0 };
                await using var reader = await check.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var type = reader.GetString(2);
                    var text = reader.GetString(3);
                    if (type.Equals("error", StringComparison.OrdinalIgnoreCase) || (type.Equals("status", StringComparison.OrdinalIgnoreCase) && !text.Equals("OK", StringComparison.OrdinalIgnoreCase)))
                    {
                        problems.Add($"{database}.{table.Table}: CHECK TABLE {type}: {text}");
                    }
                }
            }
        }

        protected override async Task DropAsync(string scratch, CancellationToken cancellationToken)
        {
            await using var admin = await server.OpenAsync(null, cancellationToken).ConfigureAwait(false);
            var unchanged = await PasswordUnchangedAsync(admin, scratch, cancellationToken).ConfigureAwait(false);
            await MyScratchUser.DropAsync(admin, scratch, cancellationToken).ConfigureAwait(false);
            if (!unchanged)
            {
                throw new InvalidOperationException(MyScratchUser.PasswordChanged(scratch) + " (dropped with its database)");
            }
        }
    }
}
