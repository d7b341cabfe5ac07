using System.Data.Common;
using Backup.Core.Snapshots;

namespace Backup.Providers;

/// <summary>
/// A restore's own verification (the restore options' <c>Verify</c>): whether the snapshot allows one, asked before
/// anything is restored, and the comparison of the restored database, which is left as it is whatever it finds.
/// </summary>
internal static class RestoreVerification
{
    /// <summary>
    /// Throws when <paramref name="database"/> of <paramref name="snapshot"/> has no readable checksums: a restore
    /// asked to verify then stops before it touches its target, rather than restore and pass unverified.
    /// </summary>
    /// <exception cref="ArgumentException">No checksums were recorded for the database (<see cref="ArgumentException.ParamName"/> is <c>snapshot</c>).</exception>
    /// <exception cref="DatabaseRestoreException">The recorded checksums are not readable.</exception>
    public static void RequireChecksums(Snapshot snapshot, string kind, string database)
    {
        var (expected, unreadable) = RecordedChecksums.Of(snapshot, kind, database);
        if (unreadable is not null)
        {
            throw new DatabaseRestoreException($"{unreadable} Nothing was restored; restore without verification, or from another snapshot.");
        }

        if (expected is null)
        {
            throw new ArgumentException(
                $"Snapshot {snapshot.Id.ToShortString()} recorded no table checksums for database '{database}' (it was made with checksums off, " +
                "or by a version before they were recorded), so a restore of it cannot be verified. Nothing was restored; " +
                "restore it without verification, or restore a snapshot made with checksums.",
                nameof(snapshot));
        }
    }

    /// <summary>
    /// The verification a restore runs once its target is complete: <paramref name="verify"/>, with a cancellation
    /// reported as what it is, a restored target left unverified, rather than as a restore that never touched its
    /// target (a plain <see cref="OperationCanceledException"/>).
    /// </summary>
    public static async Task<VerificationReport> AfterRestoreAsync(string target, Func<CancellationToken, Task<VerificationReport>> verify, CancellationToken cancellationToken)
    {
        try
        {
            return await verify(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException cancelled) when (cancelled is not DatabaseRestoreInterruptedException)
        {
            var state = $"'{target}' is completely restored, but not verified";
            throw new DatabaseRestoreInterruptedException(
                $"The restore was interrupted while comparing it with the checksums recorded at backup time: {state}. Call VerifyRestoredAsync to verify it.",
                state, DatabaseRestoreRemedy.VerifyAgain, cancelled, cancelled.CancellationToken);
        }
    }

    /// <summary>
    /// Runs <paramref name="compare"/> on the restored database; a failure to reach or read it becomes a problem of
    /// the report (the restore itself succeeded, and the database stays as restored).
    /// </summary>
    public static async Task<VerificationReport> CompareAsync(Snapshot snapshot, string database, Func<CancellationToken, Task<VerificationReport>> compare, CancellationToken cancellationToken)
    {
        try
        {
            return await compare(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is DbException or NotComparableException or IOException or DatabaseRestoreException)
        {
            return new VerificationReport
            {
                SnapshotId = snapshot.Id.ToString(),
                Databases = [database],
                IntegrityProblems = [$"{database}: the restored database could not be compared with the recorded checksums: {ex.Message}"],
            };
        }
    }
}
