using Backup.Core;
using Backup.Core.Repository;
using Backup.Core.Snapshots;
using Backup.Providers;

namespace Backup.Cli.Commands;

/// <summary><c>backup restore SNAPSHOT --to-postgres|--to-mysql|--to-sqlite</c>: restores a database snapshot into a server or a file.</summary>
internal static class DatabaseRestore
{
    /// <summary>What the command line asked for.</summary>
    public sealed record Request(
        CliDatabaseEngine Engine, string Value, string? TargetDatabase, string? SourceDatabase, bool Clean, IReadOnlyList<string> Tables, int Jobs, bool EventsDisabled, FileInfo? PasswordFile, bool Verify = false)
    {
        public string OptionName => Engine.RestoreOption;
    }

    public static async Task<DatabaseRestoreResult> RunAsync(CommandContext context, BackupRepository repository, Snapshot snapshot, Request request, CancellationToken cancellationToken)
    {
        var kind = DatabaseEngines.OfSnapshot(snapshot);
        var engine = request.Engine.Engine;
        if (kind != request.Engine)
        {
            throw new CliUsageException(kind is null
                ? $"Snapshot {snapshot.Id.ToShortString()} is a '{snapshot.SourceKind}' backup, not a database; restore it with --target DIR."
                : $"Snapshot {snapshot.Id.ToShortString()} is a '{snapshot.SourceKind}' backup; restore it with {kind.RestoreOption}.");
        }

        if (request.Tables.Count > 0 && !engine.SupportsTableSelection)
        {
            var (with, without) = Split(e => e.SupportsTableSelection);
            throw new CliUsageException($"--table works with {DatabaseEngines.Join(with.Select(e => e.RestoreOption))} only ({DatabaseEngines.Join(without.Select(e => e.Engine.DisplayName))} snapshots restore whole databases).");
        }

        if (request.Engine.IsFile)
        {
            if (request.TargetDatabase is not null || request.SourceDatabase is not null || request.Jobs != 1)
            {
                throw new CliUsageException($"--database, --source-database and --jobs do not apply to {request.OptionName}.");
            }

            var path = Path.GetFullPath(request.Value);
            if (File.Exists(path) && !request.Clean)
            {
                throw TargetExists(request, $"'{path}' exists", "to another file");
            }

            return await DatabaseCreate.Validated(() => engine.RestoreAsync(repository, snapshot, new DatabaseRestoreSettings { Location = path, Clean = request.Clean, Verify = request.Verify }, cancellationToken)).ConfigureAwait(false);
        }

        RequireSourceDatabase(engine, snapshot, request.SourceDatabase);

        var passwords = new DatabasePasswordResolver(context.Console, context.Output);
        var password = await passwords.ResolveAsync(engine, request.OptionName, request.Value, request.PasswordFile).ConfigureAwait(false);
        try
        {
            if (request.Jobs != 1 && !engine.SupportsParallelRestore)
            {
                throw new CliUsageException($"--jobs works with {DatabaseEngines.Join(Split(e => e.SupportsParallelRestore).With.Select(e => e.RestoreOption))} only.");
            }

            return await DatabaseCreate.Validated(() => engine.RestoreAsync(repository, snapshot, new DatabaseRestoreSettings
            {
                Location = request.Value,
                Password = password,
                TargetDatabase = request.TargetDatabase,
                SourceDatabase = request.SourceDatabase,
                Clean = request.Clean,
                Tables = request.Tables,
                Jobs = request.Jobs,
                EventsDisabled = request.EventsDisabled,
                Verify = request.Verify,
            }, cancellationToken), OptionMessage).ConfigureAwait(false);
        }
        catch (DatabaseRestoreException ex) when (ex.Remedy == DatabaseRestoreRemedy.CleanOrAnotherTarget)
        {
            // Found before anything was changed: the invocation is what to fix, as for an existing SQLite file.
            throw TargetExists(request, ex.Problem, "into another database with --database NAME");
        }
        catch (DatabaseRestoreException ex) when (ex.Remedy == DatabaseRestoreRemedy.AnotherTarget)
        {
            throw new CliUsageException($"{ex.Problem.TrimEnd('.')} (nothing was changed). Restore into another database with --database NAME, or drop it first.");
        }
        catch (Exception ex) when (passwords.SignInAdvice(ex, password, engine, request.Value) is { Length: > 0 } advice)
        {
            throw new DatabaseRestoreException(ex.Message + advice, ex);
        }
    }

    /// <summary>
    /// An existing target without --clean: a usage error (exit 2) for every engine, saying what --clean would drop
    /// there, so that nobody adds it to a command line without knowing.
    /// </summary>
    private static CliUsageException TargetExists(Request request, string problem, string otherTarget)
    {
        var replaces = request.Tables.Count > 0
            ? "drops only the tables named with --table there and restores them from the snapshot"
            : request.Engine.CleanReplaces;
        return new CliUsageException($"{problem.TrimEnd('.')} (nothing was changed). --clean restores over it: it {replaces}. Or restore {otherTarget}.");
    }

    /// <summary>
    /// <c>--verify</c>: names each table that differs from what was recorded at backup time (exit 3) and what to do
    /// next, or says how many tables and rows were found as recorded. The database stays as restored either way.
    /// </summary>
    public static async Task<int> ReportVerificationAsync(CommandContext context, DatabaseRestoreResult restored, VerificationReport verification)
    {
        foreach (var mismatch in verification.Mismatches)
        {
            await context.Output.ErrorAsync($"table differs: {mismatch}").ConfigureAwait(false);
        }

        foreach (var problem in verification.IntegrityProblems)
        {
            await context.Output.ErrorAsync($"not verified: {problem}").ConfigureAwait(false);
        }

        if (verification.Succeeded)
        {
            if (!context.Json)
            {
                await context.Output.InfoAsync(
                    $"Verified '{restored.TargetDatabase}': {Format.Count(verification.TablesCompared, "table", "tables")} and {Format.Count(verification.RowsCompared, "row", "rows")} " +
                    "as recorded at backup time.").ConfigureAwait(false);
            }

            return ExitCodes.Success;
        }

        if (verification.IntegrityProblems.Count == 0 && verification.Mismatches.All(m => m.Kind == TableMismatchKind.NotInSnapshot))
        {
            // The snapshot's own tables are as recorded: saying its data did not arrive intact would send the operator
            // to another snapshot, and restoring again with --clean keeps these tables, so it would fail the same way.
            await context.Output.ErrorAsync(
                $"error: '{restored.TargetDatabase}' holds {Format.Count(verification.Mismatches.Count, "table", "tables")} that the snapshot's database '{restored.SourceDatabase}' does not; " +
                $"the {Format.Count(verification.TablesCompared, "table", "tables")} it does hold are as recorded at backup time. The database was left as restored (nothing was dropped or changed). " +
                "A restore over a database keeps what the snapshot does not hold, so these were there before the restore or were written since: drop them if they do not belong there, " +
                "or restore into a new database with --database NAME.").ConfigureAwait(false);
            return ExitCodes.Partial;
        }

        await context.Output.ErrorAsync(
            $"error: '{restored.TargetDatabase}' does not hold exactly what was backed up: " +
            (verification.Mismatches.Count > 0
                ? $"{Format.Count(verification.Mismatches.Count, "table differs", "tables differ")} from the checksums recorded at backup time for the snapshot's database '{restored.SourceDatabase}'"
                : "it could not be compared") +
            ". The database was left as restored (nothing was dropped or changed). If an application was already writing to it, its writes show as differences: " +
            "stop it and restore again with --clean --verify; otherwise the snapshot's data did not arrive intact: restore from another snapshot, or test this one with 'backup verify SNAPSHOT --scratch'.").ConfigureAwait(false);
        return ExitCodes.Partial;
    }

    /// <summary>
    /// The library names its settings (<c>TargetDatabase</c>, <c>Jobs</c>) when one is missing or out of range; the
    /// tool names its options.
    /// </summary>
    private static string? OptionMessage(ArgumentException ex) => ex.ParamName switch
    {
        nameof(DatabaseRestoreSettings.TargetDatabase) => "Name the database to restore into: --database NAME, or Database=NAME in the connection string.",
        nameof(DatabaseRestoreSettings.Jobs) => "--jobs must be 1-64.",
        _ => null,
    };

    /// <summary>Refuses a snapshot of several databases without --source-database, or one that lacks the database it names.</summary>
    private static void RequireSourceDatabase(Backup.Providers.IDatabaseEngine engine, Snapshot snapshot, string? sourceDatabase)
    {
        var databases = engine.DatabasesOf(snapshot);
        if (sourceDatabase is null ? databases.Count > 1 : !databases.Contains(sourceDatabase, StringComparer.Ordinal))
        {
            throw new CliUsageException(
                $"Snapshot {snapshot.Id.ToShortString()} holds {(databases.Count == 1 ? "database" : "databases")} {string.Join(", ", databases)}: " +
                (sourceDatabase is null ? "pick one with --source-database NAME." : $"'{sourceDatabase}' is not among them."));
        }
    }

    /// <summary>
    /// <c>--check-roles</c>: whether the server the request names has the roles a restore of the snapshot's database
    /// needs (recorded at backup time), without restoring anything.
    /// </summary>
    public static async Task<DatabaseRoleCheck> CheckRolesAsync(CommandContext context, Snapshot snapshot, Request request, CancellationToken cancellationToken)
    {
        var engine = request.Engine.Engine;
        if (DatabaseEngines.OfSnapshot(snapshot) != request.Engine)
        {
            throw new CliUsageException($"Snapshot {snapshot.Id.ToShortString()} is a '{snapshot.SourceKind}' backup; --check-roles checks a server for a database snapshot of its own engine.");
        }

        RequireSourceDatabase(engine, snapshot, request.SourceDatabase);

        var password = await new DatabasePasswordResolver(context.Console, context.Output).ResolveAsync(engine, request.OptionName, request.Value, request.PasswordFile).ConfigureAwait(false);
        try
        {
            return await engine.CheckRolesAsync(snapshot, new DatabaseRestoreSettings { Location = request.Value, Password = password, SourceDatabase = request.SourceDatabase }, cancellationToken).ConfigureAwait(false);
        }
        catch (NotSupportedException)
        {
            throw new CliUsageException($"--check-roles works with --to-postgres and --to-mysql only: {engine.DisplayName} snapshots record no roles or accounts.");
        }
    }

    private static (IReadOnlyList<CliDatabaseEngine> With, IReadOnlyList<CliDatabaseEngine> Without) Split(Func<IDatabaseEngine, bool> supports) =>
        ([.. DatabaseEngines.All.Where(e => supports(e.Engine))], [.. DatabaseEngines.All.Where(e => !supports(e.Engine))]);
}
