using Backup.Core;
using Backup.Core.Repository;
using Backup.Core.Snapshots;
using Backup.Providers;

namespace Backup.Cli.Commands;

/// <summary>
/// <c>backup verify SNAPSHOT --scratch CONNSTRING|DIR</c> for a database snapshot: restores it into a scratch database
/// (created and dropped by the library) or a scratch file, compares per-table rows and checksums with those recorded
/// at backup time, runs the engine's integrity check, and reports the measured restore time.
/// </summary>
internal static class DatabaseVerify
{
    public static async Task<int> RunAsync(CommandContext context, BackupRepository repository, Snapshot snapshot, CliDatabaseEngine database, string? scratch, FileInfo? passwordFile, bool trustSnapshotSql, CancellationToken cancellationToken)
    {
        VerificationReport report;
        var engine = database.Engine;
        if (database.IsFile)
        {
            if (trustSnapshotSql)
            {
                throw new CliUsageException($"--trust-snapshot-sql applies to PostgreSQL and MariaDB/MySQL snapshots; a {engine.DisplayName} snapshot is verified in a scratch file.");
            }

            if (scratch is not null && ScratchArgument.IsConnectionString(scratch))
            {
                // Not quoted: a connection string may hold a password.
                throw new CliUsageException($"--scratch is a connection string, but a {engine.DisplayName} snapshot is verified in a scratch directory: give --scratch DIR (default: the temp directory).");
            }

            var directory = scratch is null ? null : Path.GetFullPath(scratch);
            if (directory is not null && !Directory.Exists(directory))
            {
                throw new CliUsageException($"--scratch '{directory}' is not a directory; a {engine.DisplayName} snapshot is verified in a scratch directory.");
            }

            report = await DatabaseCreate.Validated(() => engine.VerifyAsync(repository, snapshot, new DatabaseVerifySettings { Scratch = directory }, cancellationToken)).ConfigureAwait(false);
        }
        else
        {
            if (string.IsNullOrWhiteSpace(scratch))
            {
                throw new CliUsageException($"Snapshot {snapshot.Id.ToShortString()} is a {engine.DisplayName} backup: give --scratch CONNSTRING, a server where a scratch database may be created and dropped.");
            }

            if (!ScratchArgument.IsConnectionString(scratch))
            {
                throw new CliUsageException(
                    $"Snapshot {snapshot.Id.ToShortString()} is a {engine.DisplayName} backup: --scratch takes the connection string ('Key=Value;…', e.g. 'Host=db1;Username=backup') " +
                    "of a server where a scratch database may be created and dropped, not a directory.");
            }

            var passwords = new DatabasePasswordResolver(context.Console, context.Output);
            var password = await passwords.ResolveAsync(engine, "--scratch", scratch, passwordFile).ConfigureAwait(false);
            try
            {
                report = await DatabaseCreate.Validated(() => engine.VerifyAsync(repository, snapshot, new DatabaseVerifySettings { Scratch = scratch, Password = password, ScratchUser = !trustSnapshotSql }, cancellationToken)).ConfigureAwait(false);
            }
            catch (Exception ex) when (passwords.SignInAdvice(ex, password, engine, scratch) is { Length: > 0 } advice)
            {
                throw new DatabaseRestoreException(ex.Message + advice, ex);
            }
        }

        foreach (var mismatch in report.Mismatches)
        {
            await context.Output.ErrorAsync($"table differs: {mismatch}").ConfigureAwait(false);
        }

        foreach (var problem in report.IntegrityProblems)
        {
            await context.Output.ErrorAsync($"integrity: {problem}").ConfigureAwait(false);
        }

        if (context.Json)
        {
            await context.Output.WriteJsonAsync(
                new DatabaseVerifyOutput(
                    report.Succeeded, snapshot.Id.ToString(), snapshot.SourceKind, report.Databases, report.RestoreDuration.TotalSeconds, report.TablesCompared,
                    [.. report.Mismatches.Select(m => m.ToString())], report.IntegrityProblems, report.Notes, report.RowsCompared, TableDifferenceOutput.Of(report)),
                CliJson.Default.DatabaseVerifyOutput).ConfigureAwait(false);
        }
        else
        {
            foreach (var note in report.Notes)
            {
                await context.Output.InfoAsync($"note: {note}").ConfigureAwait(false);
            }

            await context.Output.InfoAsync(
                $"Restore drill of {snapshot.SourceKind} snapshot {snapshot.Id.ToShortString()} ({Format.Time(snapshot.Time)}): {string.Join(", ", report.Databases)} restored in " +
                $"{Format.Seconds(report.RestoreDuration)}, {Format.Count(report.TablesCompared, "table", "tables")} compared, {Format.Count(report.Mismatches.Count, "differs", "differ")}, " +
                $"{Format.Count(report.IntegrityProblems.Count, "integrity finding", "integrity findings")}. Achieved RTO: {Format.Seconds(report.RestoreDuration)}.").ConfigureAwait(false);
        }

        if (!report.Succeeded)
        {
            await context.Output.ErrorAsync(
                $"error: restore drill failed: {Format.Count(report.Mismatches.Count, "table differs", "tables differ")}, " +
                $"{Format.Count(report.IntegrityProblems.Count, "integrity finding", "integrity findings")}").ConfigureAwait(false);
            return ExitCodes.ProblemsFound;
        }

        return ExitCodes.Success;
    }
}
