using System.Collections.Concurrent;
using Backup.Core.Repository;
using Backup.Core.Retention;
using Backup.Core.Snapshots;
using Backup.Core.Storage;

namespace Backup.Core.Maintenance;

/// <summary>
/// Extends the retention lock of every object a repository still needs (config, keys, index objects, snapshots,
/// records and every pack the index lists) to now plus the recorded period. A lock is set when an object is written
/// and runs out a period later, while deduplication keeps old packs in use and the keys and config are never locked at
/// all; without this, whoever holds a delete credential could remove them once their lock lapsed and break every
/// newer snapshot. Lock objects and packs no index lists are not touched: they are no part of the backups to keep.
/// Given the retention policy forget applies, the snapshots it would remove and the packs only they use are not
/// touched either: locking them again on every run would keep forget from ever deleting them.
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
        var lapsing = options.Policy is { } policy
            ? await LapsingAsync(repository, policy, time.GetUtcNow(), cancellationToken).ConfigureAwait(false)
            : Lapsing.None;
        var keys = new List<string> { RepositoryLayout.Config };
        foreach (var prefix in (string[])[RepositoryLayout.KeysPrefix, RepositoryLayout.IndexPrefix, RepositoryLayout.SnapshotsPrefix, RepositoryLayout.RecordsPrefix])
        {
            await foreach (var item in repository.Blobs.ListAsync(prefix, cancellationToken).ConfigureAwait(false))
            {
                // An index object a newer one supersedes is left for prune: locking it again would keep it for ever.
                if (!repository.Blobs.SupersededIndexKeys.Contains(item.Key) && !lapsing.SnapshotKeys.Contains(item.Key))
                {
                    keys.Add(item.Key);
                }
            }
        }

        // Packs known only from their headers (a writer stopped before its index) are not the repository's yet: the
        // next backup that reuses one indexes it, and the next run here locks it; prune removes the others.
        var packs = repository.Blobs.Index.Packs().Where(p => !repository.Blobs.UnindexedPacks.ContainsKey(p)).ToList();
        var packsLeft = lapsing.NeededPacks is { } needed ? packs.RemoveAll(p => !needed.Contains(p)) : 0;
        keys.AddRange(packs.Select(RepositoryLayout.PackKey));

        // One date for the whole run, so every object extended ends at the same instant and the result states it; in
        // whole seconds, as S3 and Azure keep it, so the date reported is the date stored.
        var retainUntil = RetentionExtension.WholeSecondAtOrAfter(time.GetUtcNow() + recorded.Period);
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
            SnapshotsLeftToLapse = lapsing.Snapshots,
            PacksLeftToLapse = packsLeft,
            LeftToLapseBy = lapsing.Snapshots.Count > 0 || packsLeft > 0 ? retainUntil : null,
            Problems = lapsing.Problems,
            Duration = time.GetElapsedTime(started),
        };
    }

    /// <summary>
    /// What <paramref name="policy"/> leaves to lapse: the snapshots forget would remove now (decided by forget's own
    /// <see cref="RetentionEvaluator"/>), and the packs that the kept snapshots need (by prune's own walk), or null
    /// when that cannot be told. A pack left today is not lost to a backup that deduplicates against it later: its
    /// lock still runs from the last run that extended it, and the next run finds it reachable and extends it again.
    /// </summary>
    private static async Task<Lapsing> LapsingAsync(BackupRepository repository, RetentionPolicy policy, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var damaged = new List<string>();
        var snapshots = new List<Snapshot>();
        await foreach (var snapshot in repository.Snapshots.ListAsync((key, ex) => damaged.Add($"snapshot {key} does not decode ({ex.Message})"), cancellationToken).ConfigureAwait(false))
        {
            snapshots.Add(snapshot);
        }

        var decisions = RetentionEvaluator.Evaluate(snapshots, policy, now);
        var kept = decisions.SelectMany(g => g.Kept).Select(d => d.Snapshot).ToList();
        var left = decisions.SelectMany(g => g.Removed).Select(d => d.Snapshot.Id).Order().ToList();

        // A snapshot that does not decode may use any pack, as prune reasons: none may be left to lapse. The snapshot
        // object itself is not among those decided, so it is extended.
        if (damaged.Count > 0)
        {
            return new Lapsing(left, NeededPacks: null, damaged);
        }

        // Prune's own view of the index and walk, so that what is left to lapse here is exactly what prune will free
        // once forget has removed these snapshots.
        var scan = await RepositoryScan.RunAsync(repository, readIndexes: true, cancellationToken).ConfigureAwait(false);
        BlobMarks marks;
        try
        {
            marks = await MaintenanceService.MarkReachableAsync(scan, kept, progress: null, cancellationToken).ConfigureAwait(false);
        }
        catch (RepositoryCorruptException ex)
        {
            return new Lapsing(left, NeededPacks: null, [ex.Message]);
        }

        var needed = new HashSet<BlobId>();
        for (var ordinal = 0; ordinal < scan.Index.Count; ordinal++)
        {
            if (!marks.IsMarked(ordinal))
            {
                continue;
            }

            // The pack the walk found the blob in, and the one readers will take it from, should the two differ (a
            // blob stored twice by an interrupted prune).
            needed.Add(scan.Index.PackAt(ordinal));
            if (repository.Blobs.Index.TryGet(scan.Index.EntryAtOrdinal(ordinal).Id, out var location))
            {
                needed.Add(location.Pack);
            }
        }

        return new Lapsing(left, needed, []);
    }

    /// <summary>
    /// The snapshots a policy leaves to lapse, the packs still needed (null: every pack is), and why the packs could not
    /// be told apart.
    /// </summary>
    private sealed record Lapsing(IReadOnlyList<BlobId> Snapshots, IReadOnlySet<BlobId>? NeededPacks, IReadOnlyList<string> Problems)
    {
        public static Lapsing None { get; } = new([], NeededPacks: null, []);

        /// <summary>The object keys of <see cref="Snapshots"/>.</summary>
        public HashSet<string> SnapshotKeys { get; } = Snapshots.Select(RepositoryLayout.SnapshotKey).ToHashSet(StringComparer.Ordinal);
    }
}
