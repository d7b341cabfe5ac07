using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using System.Text.Json;
using Backup.Core.Pipeline;
using Backup.Core.Repository;
using Backup.Core.Snapshots;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Backup.Core;

namespace Backup.Providers.PostgreSql;

/// <summary>
/// Restores a database from a PostgreSQL snapshot: into a new database (created from template0), or over an
/// existing one when <see cref="PostgreSqlRestoreOptions.Clean"/> is set. Custom-format dumps go through
/// pg_restore (parallel with -j, selective with -t), plain ones through psql, driver-only ones through Npgsql. A
/// restore that fails or is interrupted drops the database it created; one it restored over is left as the
/// exception's message says (partly restored, or as it was for driver-only and plain dumps, which load in one
/// transaction).
/// </summary>
/// <remarks>
/// A restore runs SQL written by the source database's superusers; test restores belong in a scratch database
/// (see <see cref="PostgreSqlVerifier"/>). It never runs anything on this host: plain dumps are fed to psql with
/// its meta-commands switched off (<c>\restrict</c>, which needs psql 13.22, 14.19, 15.14, 16.10, 17.6 or later),
/// and a dump that holds one (<c>\!</c>, <c>\o |cmd</c>, <c>\copy … program</c>, <c>\set</c>, …) fails to restore.
/// </remarks>
public sealed partial class PostgreSqlRestorer
{
    private readonly BackupRepository _repository;
    private readonly ILogger _logger;

    /// <summary>Restores from <paramref name="repository"/>.</summary>
    public PostgreSqlRestorer(BackupRepository repository, ILogger<PostgreSqlRestorer>? logger = null)
    {
        _repository = repository ?? throw new ArgumentNullException(nameof(repository));
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>The databases a PostgreSQL snapshot holds.</summary>
    /// <exception cref="ArgumentException">The snapshot is not a PostgreSQL backup.</exception>
    /// <exception cref="DatabaseRestoreException">The snapshot's list of databases is damaged.</exception>
    public static IReadOnlyList<string> DatabasesOf(Snapshot snapshot) => SnapshotDatabases.Of(snapshot, PostgreSqlSource.KindName, "PostgreSQL", PgJson.Default.ListString);

    /// <summary>Restores the snapshot named by <paramref name="snapshotIdOrPrefix"/> ("latest" works too).</summary>
    /// <exception cref="DatabaseRestoreException">The restore failed; the message carries the tool's stderr (passwords scrubbed).</exception>
    public async Task<DatabaseRestoreResult> RestoreAsync(string snapshotIdOrPrefix, PostgreSqlRestoreOptions options, CancellationToken cancellationToken = default)
    {
        var snapshot = await _repository.Snapshots.FindAsync(snapshotIdOrPrefix, cancellationToken).ConfigureAwait(false);
        return await RestoreAsync(snapshot, options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Restores one database of <paramref name="snapshot"/>.</summary>
    /// <exception cref="DatabaseRestoreException">The restore failed; the message carries the tool's stderr (passwords scrubbed).</exception>
    public async Task<DatabaseRestoreResult> RestoreAsync(Snapshot snapshot, PostgreSqlRestoreOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var server = new PgServer(options);
        var databases = DatabasesOf(snapshot);
        var source = SnapshotDatabases.Pick(snapshot, databases, options.SourceDatabase, nameof(options));

        var target = options.TargetDatabase ?? server.Database!;
        if (options.Verify)
        {
            RestoreVerification.RequireChecksums(snapshot, PostgreSqlSource.KindName, source);
        }

        var format = snapshot.Metadata.GetValueOrDefault($"{PostgreSqlSource.KindName}.format", "custom");
        if (options.Tables.Count > 0 && format is not "custom" and not PostgreSqlSource.ParallelFormat)
        {
            throw new ArgumentException($"Selective restores need a custom-format or parallel snapshot; this one is '{format}'.", nameof(options));
        }

        if (options.Tables.Count > 0 && options.UseScratchRole)
        {
            throw new ArgumentException("A test restore as a scratch role restores whole databases; leave Tables empty.", nameof(options));
        }

        if (format is not ("custom" or "plain" or "copy-binary" or PostgreSqlSource.ParallelFormat))
        {
            throw new DatabaseRestoreException($"Unknown dump format '{format}'; a newer version of this library may have written the snapshot.");
        }

        var started = Stopwatch.GetTimestamp();
        var entry = SnapshotDatabases.EntryOf(snapshot, PostgreSqlSource.KindName, source);
        var node = await SnapshotFiles.FindAsync(_repository, snapshot, entry, cancellationToken).ConfigureAwait(false);

        // The dump is checked as far as it can be before the target database is created, so that a damaged or altered
        // snapshot fails with what is wrong with it and leaves nothing behind.
        PgDriverDump? driverDump = null;
        if (format is "copy-binary" or PostgreSqlSource.ParallelFormat)
        {
            driverDump = await PgDriverDump.OpenAsync(_repository, node, entry, parallel: format == PostgreSqlSource.ParallelFormat, options.Tables, cancellationToken).ConfigureAwait(false);
        }
        else if (node.Type != NodeType.File)
        {
            throw DumpDirectory.Damaged($"The dump '{entry}' is not a file, as its snapshot's format ({format}) says it is");
        }

        int serverVersionNum;
        string? pgOptions;
        var created = false;
        uint? createdOid = null;
        PgScratchRole? role = null;
        await using (var admin = await server.OpenMaintenanceAsync(cancellationToken).ConfigureAwait(false))
        {
            serverVersionNum = await PgServer.GetServerVersionNumAsync(admin, cancellationToken).ConfigureAwait(false);
            await using (var setting = new NpgsqlCommand(RestoreSessionSettings.ServerSettingQuery, admin))
            {
                var serverKilobytes = await setting.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as long? ?? 0;
                pgOptions = RestoreSessionSettings.PgOptions(options.MaintenanceWorkMemMegabytes, serverKilobytes, Environment.GetEnvironmentVariable("PGOPTIONS"));
            }

            if (await OidOfAsync(admin, target, cancellationToken).ConfigureAwait(false) is not null)
            {
                if (format == "copy-binary")
                {
                    // Its one transaction loads the snapshot's schema script as it is, which cannot drop what exists.
                    throw new DatabaseRestoreException(
                        $"Database '{target}' already exists, and this snapshot (driver-only, one connection) restores into a new database only", DatabaseRestoreRemedy.AnotherTarget);
                }

                if (!options.Clean)
                {
                    throw new DatabaseRestoreException($"Database '{target}' already exists", DatabaseRestoreRemedy.CleanOrAnotherTarget);
                }
            }
            else if (options.UseScratchRole && await PgScratchRole.IsSuperuserAsync(admin, cancellationToken).ConfigureAwait(false))
            {
                role = await PgScratchRole.CreateAsync(admin, target, cancellationToken).ConfigureAwait(false);
                createdOid = await OidOfAsync(admin, target, cancellationToken).ConfigureAwait(false);
                created = true;
            }
            else
            {
                // template0: a restore must not inherit objects someone added to template1.
                await using var create = new NpgsqlCommand($"CREATE DATABASE {PgServer.QuoteIdentifier(target)} TEMPLATE template0", admin);
                await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                createdOid = await OidOfAsync(admin, target, cancellationToken).ConfigureAwait(false);
                created = true;
            }
        }

        var scratch = role is null ? null : new ScratchRestore(server, role);
        long bytes;
        try
        {
            var restoring = role is null ? server : await scratch!.SignInAsync(target, cancellationToken).ConfigureAwait(false);
            switch (format)
            {
                case "custom":
                    await PgRestoreAsync(restoring, scratch, serverVersionNum, node, target, options, pgOptions, cancellationToken).ConfigureAwait(false);
                    break;
                case "plain":
                    await PsqlAsync(restoring, scratch, serverVersionNum, node, target, options.NoOwner, pgOptions, cancellationToken).ConfigureAwait(false);
                    break;
                case "copy-binary":
                    await DriverRestoreAsync(restoring, scratch, driverDump!, target, options.NoOwner, cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    await ParallelRestoreAsync(restoring, scratch, serverVersionNum, driverDump!, target, options, pgOptions, cancellationToken).ConfigureAwait(false);
                    break;
            }

            if (scratch is not null)
            {
                await scratch.LockAsync(target, cancellationToken).ConfigureAwait(false);
            }

            // Inside the try: a cancellation here is settled like one during the load, so a plain cancellation always means the target was not touched.
            bytes = node.Type == NodeType.Directory ? await SnapshotFiles.TotalSizeAsync(_repository, node, cancellationToken).ConfigureAwait(false) : node.Size;
        }
        catch (Exception ex)
        {
            var failure = scratch is null ? ex : await scratch.FailureAsync(target, ex).ConfigureAwait(false);
            if (failure is DatabaseRestoreException { Remedy: DatabaseRestoreRemedy.None } restoreFailure && PgMissingRole.RoleIn(restoreFailure.Message) is { } missingRole)
            {
                var advice = await MissingRoleAdviceAsync(server, snapshot, source, missingRole, options.NoOwner, cancellationToken).ConfigureAwait(false);
                failure = new DatabaseRestoreException($"{restoreFailure.Message.TrimEnd()}\n{advice}", restoreFailure);
            }

            var rephrased = await FailedRestore.SettleAsync(
                failure, target, created, transactional: format is "copy-binary" or "plain", ct => DropCreatedAsync(server, target, createdOid, scratch, ct), state => Log.RestoreFailed(_logger, target, state)).ConfigureAwait(false);
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

        var duration = Stopwatch.GetElapsedTime(started);
        Log.Restored(_logger, source, target, duration.TotalSeconds);
        return new DatabaseRestoreResult
        {
            SourceDatabase = source,
            TargetDatabase = target,
            Duration = duration,
            Bytes = bytes,
            Verification = options.Verify ? await RestoreVerification.AfterRestoreAsync(target, ct => VerifyRestoredAsync(snapshot, options, ct), cancellationToken).ConfigureAwait(false) : null,
        };
    }

    /// <summary>
    /// Compares the database a restore of <paramref name="snapshot"/> with <paramref name="options"/> made (its
    /// <see cref="PostgreSqlRestoreOptions.TargetDatabase"/>, restored from its <see cref="PostgreSqlRestoreOptions.SourceDatabase"/>;
    /// only the tables of <see cref="PostgreSqlRestoreOptions.Tables"/> when it is set) with the row counts and checksums
    /// recorded at backup time, measured as they were then. Reads only: whatever differs, the database stays as it is.
    /// What the restore's <see cref="PostgreSqlRestoreOptions.Verify"/> runs; call it yourself to verify later, or again.
    /// </summary>
    /// <remarks>
    /// Anything written to the database since the restore (an application already connected) differs too. Without a
    /// table selection, tables the database holds that the snapshot did not (left by a restore with
    /// <see cref="PostgreSqlRestoreOptions.Clean"/> over an older database) are reported as differing.
    /// </remarks>
    /// <exception cref="ArgumentException">The snapshot recorded no checksums for the database, so it cannot be verified.</exception>
    /// <exception cref="DatabaseRestoreException">The recorded checksums are not readable.</exception>
    public async Task<VerificationReport> VerifyRestoredAsync(Snapshot snapshot, PostgreSqlRestoreOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var source = SnapshotDatabases.Pick(snapshot, DatabasesOf(snapshot), options.SourceDatabase, nameof(options));
        var target = options.TargetDatabase ?? new PgServer(options).Database!;
        RestoreVerification.RequireChecksums(snapshot, PostgreSqlSource.KindName, source);
        var report = await RestoreVerification.CompareAsync(snapshot, source, ct => PostgreSqlVerifier.CompareRestoredAsync(snapshot, source, target, options, ct), cancellationToken).ConfigureAwait(false);
        Log.RestoreVerified(_logger, target, report.TablesCompared, report.Mismatches.Count);
        return report;
    }

    /// <summary>
    /// The advice for a restore that stopped at the missing role <paramref name="reported"/>, naming every role the
    /// server lacks; only that one when the server cannot be asked which others it lacks (the restore's own failure,
    /// not this look-up's, is what the caller must hear).
    /// </summary>
    private static async Task<string> MissingRoleAdviceAsync(PgServer server, Snapshot snapshot, string database, string reported, bool noOwner, CancellationToken cancellationToken)
    {
        try
        {
            await using var admin = await server.OpenMaintenanceAsync(cancellationToken).ConfigureAwait(false);
            var missing = await PgMissingRole.MissingAsync(admin, snapshot, database, reported, noOwner, cancellationToken).ConfigureAwait(false);
            return PgMissingRole.Advice(snapshot, database, missing, complete: PgRequiredRoles.Read(snapshot, database) is not null);
        }
        catch (Exception ex) when (ex is NpgsqlException or IOException or OperationCanceledException or TimeoutException)
        {
            return PgMissingRole.Advice(snapshot, database, [reported], complete: false);
        }
    }

    /// <summary>
    /// Drops the database a failed restore created; false, leaving it alone, when the name now belongs to another
    /// database (whose oid is not <paramref name="createdOid"/>).
    /// </summary>
    private static async Task<bool> DropCreatedAsync(PgServer server, string target, uint? createdOid, ScratchRestore? scratch, CancellationToken cancellationToken)
    {
        if (scratch is not null)
        {
            // A scratch database's name is random and its own role's; both go, and what the role did is said already.
            await scratch.DropAsync(target, cancellationToken).ConfigureAwait(false);
            return true;
        }

        await using var admin = await server.OpenAsync("postgres", cancellationToken).ConfigureAwait(false);

        // Only the database this restore created: by then another restore may have replaced one of that name.
        if (await OidOfAsync(admin, target, cancellationToken).ConfigureAwait(false) != createdOid)
        {
            return false;
        }

        await PgServer.DropDatabaseAsync(admin, target, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>The oid of the database named <paramref name="name"/>; null when there is none.</summary>
    private static async Task<uint?> OidOfAsync(NpgsqlConnection admin, string name, CancellationToken cancellationToken)
    {
        await using var query = new NpgsqlCommand("SELECT oid FROM pg_database WHERE datname = $1", admin) { Parameters = { new() { Value = name } } };
        return await query.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as uint?;
    }

    /// <summary>A libpq conninfo naming only the database (host, user and password come from the environment).</summary>
    private static string DbNameConnInfo(string database) =>
        "dbname='" + database.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";

    private async Task PgRestoreAsync(PgServer server, ScratchRestore? scratch, int serverVersionNum, TreeNode node, string target, PostgreSqlRestoreOptions options, string? pgOptions, CancellationToken cancellationToken)
    {
        var tool = await server.LocateToolAsync("pg_restore", serverVersionNum, cancellationToken).ConfigureAwait(false);
        var arguments = new List<string> { $"--dbname={DbNameConnInfo(target)}", "--exit-on-error", "--no-password" };
        if (options.NoOwner)
        {
            arguments.Add("--no-owner");
        }

        if (options.Clean)
        {
            arguments.AddRange(["--clean", "--if-exists"]);
        }

        using var environment = await server.CreateToolEnvironmentAsync(target, pgOptions, cancellationToken).ConfigureAwait(false);
        ToolOutcome outcome;
        PgTableRestore? tables = null;
        if (options.Jobs > 1 || scratch is not null || options.Tables.Count > 0)
        {
            // pg_restore -j needs to seek in the archive, so it cannot read standard input; nor can a scratch restore
            // or a selective one read it more than once (its listing first).
            using var dump = new TempFile(Path.Combine(options.TempDirectory ?? Path.GetTempPath(), $"backup-restore-{Guid.NewGuid():N}.dump"));
            await SnapshotFiles.WriteToPrivateFileAsync(_repository, node, dump.Path, cancellationToken).ConfigureAwait(false);
            using var list = scratch is null ? null : await scratch.PrepareArchiveAsync(tool, environment, dump.Path, target, cancellationToken).ConfigureAwait(false);
            tables = options.Tables.Count > 0 ? await PgTableRestore.PrepareAsync(server, tool, environment, dump.Path, target, options, cancellationToken).ConfigureAwait(false) : null;
            if ((list?.Path ?? tables?.ListPath) is { } listPath)
            {
                arguments.Add($"--use-list={listPath}");
            }

            if (scratch is not null)
            {
                arguments.AddRange(ScratchRestore.PgRestoreArguments);
            }

            if (options.Jobs > 1)
            {
                arguments.Add($"--jobs={options.Jobs.ToString(CultureInfo.InvariantCulture)}");
            }

            if (scratch is null)
            {
                outcome = await RunAsync([.. arguments, dump.Path]).ConfigureAwait(false);
            }
            else
            {
                // The scratch role turns forced row security off between the schema and the rows (see UnforceRowSecurityAsync).
                outcome = await RunAsync([.. arguments, "--section=pre-data", dump.Path]).ConfigureAwait(false);
                if (outcome.ExitCode == 0)
                {
                    await ScratchRestore.UnforceRowSecurityAsync(server, target, cancellationToken).ConfigureAwait(false);
                    outcome = await RunAsync([.. arguments, "--section=data", "--section=post-data", dump.Path]).ConfigureAwait(false);
                }
            }
        }
        else
        {
            await using var process = ToolProcess.Start(tool, arguments, environment.Variables, server.Secrets, redirectStdin: true);
            process.DiscardOutput();
            outcome = await SnapshotFiles.FeedAsync(_repository, node, process, cancellationToken).ConfigureAwait(false);
        }

        using (tables)
        {
            if (outcome.ExitCode != 0 || outcome.StreamFailure is not null)
            {
                throw new DatabaseRestoreException(outcome.Describe($"restore into '{target}' failed") + tables?.LostKeys);
            }

            if (tables is not null)
            {
                await tables.FinishAsync(server, target, [], cancellationToken).ConfigureAwait(false);
            }
        }

        async Task<ToolOutcome> RunAsync(List<string> run)
        {
            await using var process = ToolProcess.Start(tool, run, environment.Variables, server.Secrets);
            process.DiscardOutput();
            return await process.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Plain dumps go through psql with its meta-commands switched off (see <see cref="PsqlRestrictedInput"/>): a
    /// dump is data, and one written or altered by someone else must not run commands on this host. A dump that
    /// holds any meta-command fails the restore, and the single transaction leaves nothing of it behind.
    /// </summary>
    private async Task PsqlAsync(PgServer server, ScratchRestore? scratch, int serverVersionNum, TreeNode node, string target, bool noOwner, string? pgOptions, CancellationToken cancellationToken)
    {
        var extensions = scratch is null ? null : await scratch.PrepareScriptAsync(await ReadScriptHeadAsync(node, cancellationToken).ConfigureAwait(false), target, cancellationToken).ConfigureAwait(false);
        var tool = await server.LocateToolAsync("psql", serverVersionNum, cancellationToken).ConfigureAwait(false);
        if (!await PgServer.SupportsRestrictAsync(tool, cancellationToken).ConfigureAwait(false))
        {
            throw new DatabaseRestoreException(
                $"{tool} has no \\restrict (added in PostgreSQL 13.22, 14.19, 15.14, 16.10 and 17.6), without which psql would run any meta-command in the dump, " +
                "such as \\! (a shell command), on this host; install current client tools or set ClientToolsDirectory to them.");
        }

        var key = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        using var environment = await server.CreateToolEnvironmentAsync(target, pgOptions, cancellationToken).ConfigureAwait(false);
        await using var process = ToolProcess.Start(tool, ["-X", "-q", "--no-password", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-f", "-"], environment.Variables, server.Secrets, redirectStdin: true);
        process.DiscardOutput();
        var outcome = await SnapshotFiles.FeedAsync(_repository, node, process, stdin => noOwner || scratch is not null ? new PgDumpScriptFilter(new PsqlRestrictedInput(stdin, key), noOwner, scratch is not null, extensions) : new PsqlRestrictedInput(stdin, key), cancellationToken).ConfigureAwait(false);
        if (outcome.ExitCode != 0 || outcome.StreamFailure is not null)
        {
            var refused = outcome.Stderr.Contains("backslash commands are restricted", StringComparison.Ordinal) || outcome.Stderr.Contains("\\unrestrict: wrong key", StringComparison.Ordinal)
                ? " The dump holds a psql meta-command (a line or statement part starting with a backslash, such as \\! or \\o), which a restore refuses: a pg_dump plain dump has none, so it was altered or written by something else."
                : string.Empty;
            throw new DatabaseRestoreException(outcome.Describe($"restore into '{target}' failed") + refused);
        }
    }

    /// <summary>Driver-only dumps: pre-data schema, every table's binary COPY, sequence positions, post-data schema — all in one transaction.</summary>
    private async Task DriverRestoreAsync(PgServer server, ScratchRestore? scratch, PgDriverDump dump, string target, bool noOwner, CancellationToken cancellationToken)
    {
        var manifest = dump.Manifest;

        var preData = await dump.ReadScriptAsync(PgDriverDump.PreDataFile, cancellationToken).ConfigureAwait(false);
        var extensions = scratch is null ? null : await scratch.PrepareScriptAsync(preData, target, cancellationToken).ConfigureAwait(false);
        await using var connection = await server.OpenAsync(target, cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await ExecuteScriptAsync(connection, PgDumpScriptFilter.Apply(preData, noOwner, scratch is not null, extensions), cancellationToken).ConfigureAwait(false);
            if (scratch is not null)
            {
                await ScratchRestore.UnforceRowSecurityAsync(connection, cancellationToken).ConfigureAwait(false);
            }

            foreach (var table in manifest.Tables)
            {
                await using var copy = await connection.BeginRawBinaryCopyAsync($"COPY {PgServer.QuoteIdentifier(table.Schema)}.{PgServer.QuoteIdentifier(table.Name)} FROM STDIN (FORMAT binary)", cancellationToken).ConfigureAwait(false);
                await _repository.Content.CopyToAsync(dump.TableFiles[table.File], copy, cancellationToken).ConfigureAwait(false);
            }

            await SetSequencesAsync(connection, manifest.Sequences, cancellationToken).ConfigureAwait(false);

            var postData = await dump.ReadScriptAsync(PgDriverDump.PostDataFile, cancellationToken).ConfigureAwait(false);
            await ExecuteScriptAsync(connection, PgDumpScriptFilter.Apply(postData, noOwner, scratch is not null, extensions), cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (cancellationToken.IsCancellationRequested && ex is not OperationCanceledException)
        {
            // Cut short, the COPY stream ends mid-row and the server names that ("COPY file signature not recognized"):
            // the cause is the interruption, not the snapshot.
            throw new OperationCanceledException($"The restore into '{target}' was interrupted; nothing of it was committed.", ex, cancellationToken);
        }
        catch (PostgresException ex)
        {
            throw new DatabaseRestoreException($"driver-only restore into '{target}' failed: {ex.MessageText}", ex);
        }
    }

    /// <summary>
    /// Parallel snapshots: pg_restore creates the pre-data schema (tables without indexes or constraints), then
    /// <see cref="PostgreSqlRestoreOptions.Jobs"/> connections load the tables, largest first, each in its own
    /// transaction with <c>COPY … FREEZE</c> (the rows are written frozen and all-visible, so the index builds and
    /// the first reads after the restore do not write every page again to set hint bits), the sequences get their
    /// values, and pg_restore -j builds indexes, constraints and triggers from the small schema archive (in a
    /// private temporary file, as -j needs). Not one transaction: a failure leaves the tables loaded so far.
    /// </summary>
    private async Task ParallelRestoreAsync(PgServer server, ScratchRestore? scratch, int serverVersionNum, PgDriverDump dump, string target, PostgreSqlRestoreOptions options, string? pgOptions, CancellationToken cancellationToken)
    {
        var manifest = dump.Manifest;
        var tableFiles = dump.TableFiles;
        var selected = dump.Selected;
        var tool = await server.LocateToolAsync("pg_restore", serverVersionNum, cancellationToken).ConfigureAwait(false);
        using var schema = new TempFile(Path.Combine(options.TempDirectory ?? Path.GetTempPath(), $"backup-restore-{Guid.NewGuid():N}.schema.dump"));
        await SnapshotFiles.WriteToPrivateFileAsync(_repository, dump.Directory.File(PgDriverDump.SchemaFile), schema.Path, cancellationToken).ConfigureAwait(false);
        using var environment = await server.CreateToolEnvironmentAsync(target, pgOptions, cancellationToken).ConfigureAwait(false);

        PgTableRestore? tables = null;
        try
        {
            tables = options.Tables.Count > 0 ? await PgTableRestore.PrepareAsync(server, tool, environment, schema.Path, target, options, cancellationToken).ConfigureAwait(false) : null;
            if (options.Clean && tables is null)
            {
                // pg_restore --clean drops only pre-data objects here; a table that another table's foreign key
                // (a post-data object) references would refuse to go, so the tables go first, with what hangs on them.
                await DropTablesAsync(server, target, selected, cancellationToken).ConfigureAwait(false);
            }

            using (var preData = scratch is null ? null : await scratch.PrepareArchiveAsync(tool, environment, schema.Path, target, cancellationToken).ConfigureAwait(false))
            {
                await RunPgRestoreAsync(server, tool, environment, target, options, schema.Path, "pre-data", options.Clean, 1, preData?.Path ?? tables?.ListPath, scratch is not null, cancellationToken).ConfigureAwait(false);
            }

            if (scratch is not null)
            {
                await ScratchRestore.UnforceRowSecurityAsync(server, target, cancellationToken).ConfigureAwait(false);
            }

            // With several jobs, a large table's own indexes and keys are built as soon as its rows are in, while the
            // other jobs still load (pg_restore -j's order); selective restores keep the one post-data pass.
            var plan = options.Jobs > 1 && options.Tables.Count == 0
                ? await PlanPostDataAsync(tool, environment, schema.Path, [.. selected.Where(t => tableFiles[t.File].Size >= options.EarlyPostDataMinBytes)], cancellationToken).ConfigureAwait(false)
                : PostDataPlan.None;
            await LoadTablesAsync(server, target, selected, tableFiles, options.Jobs, async (table, ct) =>
            {
                if (plan.Early.TryGetValue(PgTableKey.Table(table.Schema, table.Name), out var entries))
                {
                    using var list = await Providers.Secrets.WritePrivateFileAsync(string.Join('\n', entries) + "\n", ".list", ct).ConfigureAwait(false);
                    await RunPgRestoreAsync(server, tool, environment, target, options, schema.Path, "post-data", clean: false, 1, list.Path, scratch is not null, ct).ConfigureAwait(false);
                }
            }, cancellationToken).ConfigureAwait(false);
            if (tables is null)
            {
                await using var connection = await server.OpenAsync(target, cancellationToken).ConfigureAwait(false);
                await SetSequencesAsync(connection, manifest.Sequences, cancellationToken).ConfigureAwait(false);
            }

            using var rest = plan.Early.Count > 0 ? await Providers.Secrets.WritePrivateFileAsync(plan.Rest, ".list", cancellationToken).ConfigureAwait(false) : null;
            await RunPgRestoreAsync(server, tool, environment, target, options, schema.Path, "post-data", clean: false, options.Jobs, rest?.Path ?? tables?.ListPath, scratch is not null, cancellationToken).ConfigureAwait(false);
            if (tables is null)
            {
                await RefreshViewsAsync(server, target, manifest.PopulatedViews, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await tables.FinishAsync(server, target, manifest.Sequences, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (cancellationToken.IsCancellationRequested && ex is not OperationCanceledException)
        {
            // Cut short, the COPY stream ends mid-row and the server names that ("COPY file signature not recognized"):
            // the cause is the interruption, not the snapshot.
            throw new OperationCanceledException($"The restore into '{target}' was interrupted.", ex, cancellationToken);
        }
        catch (PostgresException ex)
        {
            throw new DatabaseRestoreException($"parallel restore into '{target}' failed: {ex.MessageText}{tables?.LostKeys}", ex);
        }
        catch (DatabaseRestoreException ex) when (tables?.LostKeys is { Length: > 0 } lost)
        {
            throw new DatabaseRestoreException(ex.Message + lost, ex);
        }
        finally
        {
            tables?.Dispose();
        }
    }

    /// <summary>
    /// Fills the materialized views the snapshot had filled (every unpopulated one for a snapshot that did not record
    /// which): the schema-only archive creates them empty. A view that reads another not yet filled fails and waits for
    /// the next round.
    /// </summary>
    private async Task RefreshViewsAsync(PgServer server, string target, IReadOnlyList<DriverView>? populated, CancellationToken cancellationToken)
    {
        await using var connection = await server.OpenAsync(target, cancellationToken).ConfigureAwait(false);

        // As pg_restore's own refresh runs: a role's or database's timeouts must not stop a long one, and no function
        // or operator the archive created in a schema of the path (public) can stand in for a built-in one below.
        await using (var settings = new NpgsqlCommand("SET statement_timeout = 0; SET lock_timeout = 0; SET search_path = pg_catalog", connection))
        {
            await settings.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        var pending = populated?.Select(v => $"{PgServer.QuoteIdentifier(v.Schema)}.{PgServer.QuoteIdentifier(v.Name)}").ToList() ?? [];
        if (populated is null)
        {
            await using var list = new NpgsqlCommand($"""
                SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relkind = 'm' AND NOT c.relispopulated AND {DriverManifest.UserSchemaFilter} ORDER BY 1, 2
                """, connection);
            await using var reader = await list.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                pending.Add($"{PgServer.QuoteIdentifier(reader.GetString(0))}.{PgServer.QuoteIdentifier(reader.GetString(1))}");
            }
        }

        while (pending.Count > 0)
        {
            var waiting = new List<string>();
            PostgresException? reason = null;
            foreach (var view in pending)
            {
                try
                {
                    await using var refresh = new NpgsqlCommand($"REFRESH MATERIALIZED VIEW {view}", connection) { CommandTimeout = 0 };
                    await refresh.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.ObjectNotInPrerequisiteState || populated is null)
                {
                    waiting.Add(view);
                    reason = ex;
                }
            }

            if (waiting.Count == pending.Count)
            {
                if (populated is null)
                {
                    // Guessed for an older snapshot (some may have been empty on purpose): the data is in, so warn, not fail.
                    Log.ViewsLeftEmpty(_logger, target, reason!.MessageText);
                    return;
                }

                throw new DatabaseRestoreException($"materialized views of '{target}' could not be filled: {reason!.MessageText}", reason);
            }

            pending = waiting;
        }
    }

    /// <summary>Reads the schema archive's listing and post-data script (no server needed) and plans which entries go early; see <see cref="PostDataPlan"/>.</summary>
    private static async Task<PostDataPlan> PlanPostDataAsync(string tool, ToolEnvironment environment, string archive, IReadOnlyCollection<DriverTable> tables, CancellationToken cancellationToken)
    {
        if (tables.Count == 0)
        {
            return PostDataPlan.None;
        }

        var listing = await ReadToolOutputAsync(tool, ["--list", archive], environment, cancellationToken).ConfigureAwait(false);
        var script = await ReadToolOutputAsync(tool, ["--section=post-data", "--file=-", archive], environment, cancellationToken).ConfigureAwait(false);
        return PostDataPlan.Build(listing, script, tables);
    }

    /// <summary>Gives each of <paramref name="sequences"/> the value the snapshot recorded for it.</summary>
    internal static async Task SetSequencesAsync(NpgsqlConnection connection, IEnumerable<DriverSequence> sequences, CancellationToken cancellationToken)
    {
        foreach (var sequence in sequences)
        {
            await using var setval = new NpgsqlCommand("SELECT pg_catalog.setval($1::regclass, $2, $3)", connection)
            {
                Parameters = { new() { Value = $"{PgServer.QuoteIdentifier(sequence.Schema)}.{PgServer.QuoteIdentifier(sequence.Name)}" }, new() { Value = sequence.LastValue }, new() { Value = sequence.IsCalled } },
            };
            await setval.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    internal static async Task<string> ReadToolOutputAsync(string tool, IReadOnlyList<string> arguments, ToolEnvironment environment, CancellationToken cancellationToken)
    {
        await using var process = ToolProcess.Start(tool, arguments, environment.Variables, []);
        var output = await process.ReadOutputToEndAsync(cancellationToken).ConfigureAwait(false);
        var outcome = await process.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (outcome.ExitCode != 0)
        {
            throw new DatabaseRestoreException(outcome.Describe("reading the schema archive failed"));
        }

        return output;
    }

    private static async Task RunPgRestoreAsync(PgServer server, string tool, ToolEnvironment environment, string target, PostgreSqlRestoreOptions options, string archive, string section, bool clean, int jobs, string? list, bool scratch, CancellationToken cancellationToken)
    {
        var arguments = new List<string> { $"--dbname={DbNameConnInfo(target)}", "--exit-on-error", "--no-password", $"--section={section}" };
        if (scratch)
        {
            arguments.AddRange(ScratchRestore.PgRestoreArguments);
        }

        if (list is not null)
        {
            arguments.Add($"--use-list={list}");
        }

        if (options.NoOwner)
        {
            arguments.Add("--no-owner");
        }

        if (clean)
        {
            arguments.AddRange(["--clean", "--if-exists"]);
        }

        if (jobs > 1)
        {
            arguments.Add($"--jobs={jobs.ToString(CultureInfo.InvariantCulture)}");
        }

        arguments.Add(archive);
        await using var process = ToolProcess.Start(tool, arguments, environment.Variables, server.Secrets);
        process.DiscardOutput();
        var outcome = await process.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (outcome.ExitCode != 0 || outcome.StreamFailure is not null)
        {
            throw new DatabaseRestoreException(outcome.Describe($"restore ({section}) into '{target}' failed"));
        }
    }

    private static async Task DropTablesAsync(PgServer server, string target, IReadOnlyList<DriverTable> tables, CancellationToken cancellationToken)
    {
        if (tables.Count == 0)
        {
            return;
        }

        await using var connection = await server.OpenAsync(target, cancellationToken).ConfigureAwait(false);
        var names = string.Join(", ", tables.Select(t => $"{PgServer.QuoteIdentifier(t.Schema)}.{PgServer.QuoteIdentifier(t.Name)}"));
        await using var drop = new NpgsqlCommand($"DROP TABLE IF EXISTS {names} CASCADE", connection) { CommandTimeout = 0 };
        await drop.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Loads <paramref name="tables"/> on <paramref name="jobs"/> connections at once, largest first; the first failure stops the others.</summary>
    /// <remarks><paramref name="loaded"/> runs on the job that loaded a table, after its transaction committed, before that job takes the next table.</remarks>
    private async Task LoadTablesAsync(PgServer server, string target, IReadOnlyList<DriverTable> tables, Dictionary<string, TreeNode> files, int jobs, Func<DriverTable, CancellationToken, Task> loaded, CancellationToken cancellationToken)
    {
        var queue = new System.Collections.Concurrent.ConcurrentQueue<DriverTable>(tables.OrderByDescending(t => files[t.File].Size));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var workers = Enumerable.Range(0, Math.Clamp(jobs, 1, Math.Max(1, tables.Count))).Select(async _ =>
        {
            try
            {
                await using var connection = await server.OpenAsync(target, stop.Token).ConfigureAwait(false);
                while (queue.TryDequeue(out var table))
                {
                    var qualified = $"{PgServer.QuoteIdentifier(table.Schema)}.{PgServer.QuoteIdentifier(table.Name)}";
                    await using var transaction = await connection.BeginTransactionAsync(stop.Token).ConfigureAwait(false);
                    // Emptied in this transaction, so COPY may write the rows frozen (the table is new anyway).
                    await using (var truncate = new NpgsqlCommand($"TRUNCATE ONLY {qualified}", connection))
                    {
                        await truncate.ExecuteNonQueryAsync(stop.Token).ConfigureAwait(false);
                    }

                    await using (var copy = await connection.BeginRawBinaryCopyAsync($"COPY {qualified} FROM STDIN (FORMAT binary, FREEZE)", stop.Token).ConfigureAwait(false))
                    {
                        await _repository.Content.CopyToAsync(files[table.File], copy, stop.Token).ConfigureAwait(false);
                    }

                    await transaction.CommitAsync(stop.Token).ConfigureAwait(false);
                    await loaded(table, stop.Token).ConfigureAwait(false);
                }
            }
            catch
            {
                await stop.CancelAsync().ConfigureAwait(false);
                throw;
            }
        }).ToList();

        try
        {
            await Task.WhenAll(workers).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // A worker stopped because another failed: report that failure, not the cancellation.
            var first = workers.Select(w => w.Exception?.InnerException).FirstOrDefault(e => e is not null and not OperationCanceledException);
            if (first is null)
            {
                throw;
            }

            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
        }
    }

    /// <summary>Runs a pg_dump plain script (already through <see cref="PgDumpScriptFilter"/>) through the driver; psql meta-commands (\restrict, \connect) are dropped, everything else is SQL.</summary>
    private static async Task ExecuteScriptAsync(NpgsqlConnection connection, string script, CancellationToken cancellationToken)
    {
        var sql = string.Join('\n', script.Split('\n').Where(line => !line.StartsWith('\\')));
        if (string.IsNullOrWhiteSpace(sql))
        {
            return;
        }

        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        // pg_dump scripts empty the search_path; later statements of this restore qualify their names anyway.
    }

    /// <summary>pg_dump's ownership statements (<c>ALTER TABLE public.t OWNER TO postgres;</c>), each on a line of its own.</summary>
    [GeneratedRegex(@"^ALTER [A-Z]+( [A-Z]+)* \S.* OWNER TO \S+;\r?$")]
    internal static partial Regex OwnerStatement();
}
