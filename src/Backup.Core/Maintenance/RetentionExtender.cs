using System.Collections.Concurrent;
using Backup.Core.Repository;
using Backup.Core.Storage;

namespace Backup.Core.Maintenance;

/// <summary>
/// Extends the retention lock of every object a repository still needs (config, keys, index objects, snapshots,
/// records and every pack the index lists) to now plus the recorded period. A lock is set when an object is written
/// and runs out a period later, while deduplication keeps old packs in use and the keys and config are never locked at
/// all; without this, whoever holds a delete credential could remove them once their lock lapsed and break every
/// newer snapshot. Lock objects and packs no index lists are not touched: they are no part of the backups to keep.
/// </summary>
internal static class RetentionExtender
{
    public static async Task<RetentionExtensionResult> RunAsync(
        BackupRepository repository, RetentionExtensionOptions options, IProgress<MaintenanceProgress>? progress, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (repository.Config.RetentionLock is not { } recorded)
        {
            throw new RepositoryException(
                $"The repository in {repository.Location} was created without a retention lock, so there is no lock to extend. A lock can only be chosen when a " +
                "repository is created: to protect these backups, create a new repository with 'backup init --retention-lock 30d' (on storage that keeps locks) " +
                "and copy them into it with 'backup copy'.");
        }

        // The same refusal every write gets: extending in another mode, or for a shorter period, is not the lock the
        // repository's owner chose, and a target that writes no lock cannot set one either.
        repository.RequireRetentionLockForWriting();

        // A target that keeps the recorded lock is the repository's target itself, not the guard that refuses writes.
        var locking = repository.Blobs.Target.GetCapability<IRetentionLockingTarget>()
            ?? throw new RetentionLockRequiredException(repository.Location, recorded, given: null);

        var started = time.GetTimestamp();

        // A shared lock, as a backup takes: no prune runs meanwhile to delete what is being extended, or to leave an
        // index listing packs this run has not seen.
        await using var operation = await repository.BeginOperationAsync(LockKind.Shared, "extend retention", refreshIndex: true, time, cancellationToken).ConfigureAwait(false);
        progress?.Report(new MaintenanceProgress { Phase = "list", Done = 0, Total = 0 });
        var keys = new List<string> { RepositoryLayout.Config };
        foreach (var prefix in (string[])[RepositoryLayout.KeysPrefix, RepositoryLayout.IndexPrefix, RepositoryLayout.SnapshotsPrefix, RepositoryLayout.RecordsPrefix])
        {
            await foreach (var item in repository.Blobs.ListAsync(prefix, cancellationToken).ConfigureAwait(false))
            {
                // An index object a newer one supersedes is left for prune: locking it again would keep it for ever.
                if (!repository.Blobs.SupersededIndexKeys.Contains(item.Key))
                {
                    keys.Add(item.Key);
                }
            }
        }

        // Packs known only from their headers (a writer stopped before its index) are not the repository's yet: the
        // next backup that reuses one indexes it, and the next run here locks it; prune removes the others.
        keys.AddRange(repository.Blobs.Index.Packs().Where(p => !repository.Blobs.UnindexedPacks.ContainsKey(p)).Select(RepositoryLayout.PackKey));

        // One date for the whole run, so every object extended ends at the same instant and the result states it; in
        // whole seconds, as S3 and Azure keep it, so the date reported is the date stored.
        var retainUntil = (time.GetUtcNow() + recorded.Period).ToUniversalTime();
        retainUntil = new DateTimeOffset(retainUntil.Ticks + TimeSpan.TicksPerSecond - 1 - ((retainUntil.Ticks + TimeSpan.TicksPerSecond - 1) % TimeSpan.TicksPerSecond), TimeSpan.Zero);
        long extended = 0, longer = 0, done = 0;
        var earliest = DateTimeOffset.MaxValue;
        var earliestGate = new Lock();
        var missing = new ConcurrentBag<string>();
        progress?.Report(new MaintenanceProgress { Phase = "extend", Done = 0, Total = keys.Count });
        await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = options.Parallelism, CancellationToken = cancellationToken }, async (key, ct) =>
        {
            try
            {
                var outcome = await locking.ExtendRetentionAsync(key, retainUntil, ct).ConfigureAwait(false);
                Interlocked.Increment(ref outcome.Extended ? ref extended : ref longer);
                lock (earliestGate)
                {
                    earliest = outcome.RetainUntil < earliest ? outcome.RetainUntil : earliest;
                }
            }
            catch (BackupObjectNotFoundException)
            {
                missing.Add(key);
            }

            progress?.Report(new MaintenanceProgress { Phase = "extend", Done = Interlocked.Increment(ref done), Total = keys.Count });
        }).ConfigureAwait(false);

        return new RetentionExtensionResult
        {
            RetainUntil = retainUntil,
            RetentionLock = recorded,
            Extended = extended,
            AlreadyLockedLonger = longer,
            EarliestRetainUntil = earliest == DateTimeOffset.MaxValue ? null : earliest,
            Missing = [.. missing.Order(StringComparer.Ordinal)],
            Duration = time.GetElapsedTime(started),
        };
    }
}
