using Backup.Core.Diagnostics;
using Backup.Core.Repository;
using Backup.Core.Snapshots;
using Backup.Core.Repository.Locks;
using Backup.Core.Storage;

namespace Backup.Core.Retention;

/// <summary>
/// Applies a <see cref="RetentionPolicy"/> to a repository ("forget"): lists the snapshots, evaluates the policy
/// with <see cref="RetentionEvaluator"/>, and deletes the snapshot objects it removes; or removes the snapshots named
/// by ID (<see cref="ForgetAsync"/>). The data those snapshots referenced stays until prune frees it.
/// </summary>
/// <remarks>
/// Locking: a real run holds a <em>shared</em> <see cref="RepositoryLock"/>, never an exclusive one. Forgetting
/// deletes only snapshot objects, never packs or indexes, so it is safe alongside backups, restores and checks:
/// a running backup that read a forgotten snapshot as its parent still finds all the data, because only prune
/// frees data and prune needs the exclusive lock, which waits for this shared one. Taking an exclusive lock
/// would make a scheduled forget fail whenever a backup runs (restic's users' top lock complaint). The shared
/// lock still keeps forget out of the way of exclusive maintenance (prune, repair), which may assume the set of
/// snapshots holds still while it works. A dry run reads only and takes no lock.
/// </remarks>
public sealed class RetentionService
{
    private readonly BackupRepository _repository;
    private readonly TimeProvider _time;
    private readonly BackupDiagnostics _diagnostics;

    /// <summary>Creates a service over an open repository.</summary>
    /// <param name="repository">The repository.</param>
    /// <param name="time">The clock for "now" (future-dated snapshots) and the lock; the system clock when null.</param>
    /// <param name="diagnostics">Where the "forget" operation is traced, measured and logged; <see cref="BackupDiagnostics.Default"/> when null.</param>
    public RetentionService(BackupRepository repository, TimeProvider? time = null, BackupDiagnostics? diagnostics = null)
    {
        _diagnostics = diagnostics ?? BackupDiagnostics.Default;
        ArgumentNullException.ThrowIfNull(repository);
        _repository = repository;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>
    /// Which snapshots the policy applies to (every snapshot when null). Snapshots the filter leaves out are neither
    /// evaluated nor deleted, so several owners of one repository (hosted jobs, each selecting its own snapshots by
    /// tag or metadata) can each apply their own policy without forgetting each other's snapshots.
    /// </summary>
    public Func<Snapshot, bool>? Filter { get; init; }

    /// <summary>Evaluates <paramref name="policy"/> and, unless <paramref name="dryRun"/>, deletes the removed snapshots.</summary>
    /// <param name="policy">The policy; validated before anything is read.</param>
    /// <param name="dryRun">Decide and report only; delete nothing.</param>
    /// <param name="ct">Cancels the run. Snapshots already deleted stay deleted; running again finishes the job,
    /// because removing snapshots the policy removes does not change which of the others it keeps.</param>
    /// <returns>The groups with every decision and its reasons.</returns>
    /// <exception cref="ArgumentException">The policy is invalid or has no rule.</exception>
    /// <exception cref="RepositoryLockedException">An exclusive lock (prune, repair) is held.</exception>
    public Task<RetentionResult> ApplyAsync(RetentionPolicy policy, bool dryRun, CancellationToken ct = default) =>
        _diagnostics.RunAsync("forget", _repository.Location, () => RunApplyAsync(policy, dryRun, ct), (operation, result) => operation.ForgetCompleted(result));

    /// <summary>
    /// Removes exactly the snapshots <paramref name="ids"/> names, whatever a policy would say ("forget ID"): a backup
    /// of the wrong directory, or one holding data that must go. Every ID is checked before the first delete: one that
    /// is not in the repository (or that <see cref="Filter"/> leaves out), or a pinned one, fails the call and nothing
    /// is deleted. Locking and retention locks are as in <see cref="ApplyAsync"/>: a real run holds the shared lock
    /// (taken before the check, so a concurrent pin or unpin, which need the exclusive one, cannot replace a snapshot
    /// between the check and the delete), and a snapshot the storage refuses to delete under a retention lock is
    /// reported in <see cref="RetentionResult.Locked"/> while the others go.
    /// </summary>
    /// <param name="ids">The snapshots' full IDs (resolve prefixes with <see cref="Snapshots.SnapshotStore.FindAsync"/>); one named twice is removed once.</param>
    /// <param name="dryRun">Check and report only; delete nothing and take no lock.</param>
    /// <param name="ct">Cancels the run. Snapshots already deleted stay deleted.</param>
    /// <returns>The named snapshots as removed decisions, grouped by <see cref="SnapshotGrouping.Default"/>; nothing is kept.</returns>
    /// <exception cref="ArgumentException"><paramref name="ids"/> is empty.</exception>
    /// <exception cref="SnapshotNotFoundException">A snapshot is not in the repository (any more); nothing was deleted.</exception>
    /// <exception cref="SnapshotPinnedException">A snapshot is pinned; nothing was deleted.</exception>
    /// <exception cref="RepositoryLockedException">An exclusive lock (prune, repair, pin) is held.</exception>
    public Task<RetentionResult> ForgetAsync(IReadOnlyCollection<BlobId> ids, bool dryRun, CancellationToken ct = default) =>
        _diagnostics.RunAsync("forget", _repository.Location, () => RunForgetAsync(ids, dryRun, ct), (operation, result) => operation.ForgetCompleted(result));

    private async Task<RetentionResult> RunForgetAsync(IReadOnlyCollection<BlobId> ids, bool dryRun, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Count == 0)
        {
            throw new ArgumentException("Name at least one snapshot to forget.", nameof(ids));
        }

        await using var operation = dryRun
            ? null
            : await _repository.BeginOperationAsync(LockKind.Shared, "forget", refreshIndex: false, _time, ct).ConfigureAwait(false);

        var problems = new List<string>();
        var present = new Dictionary<BlobId, Snapshot>();
        await foreach (var snapshot in _repository.Snapshots.ListAsync((key, ex) => problems.Add($"{key}: {ex.Message}"), ct).ConfigureAwait(false))
        {
            present[snapshot.Id] = snapshot;
        }

        var named = new List<Snapshot>();
        foreach (var id in ids.Distinct())
        {
            if (!present.TryGetValue(id, out var snapshot))
            {
                throw new SnapshotNotFoundException($"Snapshot {id.ToShortString()} is not in the repository (any more); nothing was deleted.", id.ToString());
            }

            if (Filter is not null && !Filter(snapshot))
            {
                throw new SnapshotNotFoundException(
                    $"Snapshot {id.ToShortString()} is not among the snapshots this retention applies to (its filter leaves it out); nothing was deleted.", id.ToString());
            }

            named.Add(snapshot);
        }

        var pinned = named.Where(s => s.Pinned).Select(s => s.Id).ToList();
        if (pinned.Count > 0)
        {
            throw new SnapshotPinnedException(pinned);
        }

        var groups = named
            .GroupBy(s => RetentionGroupKey.For(s, SnapshotGrouping.Default))
            .Select(g => new RetentionGroup
            {
                Key = g.Key,
                Decisions = [.. g.OrderByDescending(s => s.Time).ThenByDescending(s => s.Id)
                    .Select(s => new RetentionDecision { Snapshot = s, Action = RetentionAction.Remove, Reasons = [] })],
            })
            .OrderBy(g => g.Key.ToString(), StringComparer.Ordinal)
            .ToList();

        var deleted = 0;
        IReadOnlyList<LockedObject> locked = [];
        if (!dryRun)
        {
            (deleted, locked) = await DeleteAsync([.. named.Select(s => s.Id)], ct).ConfigureAwait(false);
        }

        return new RetentionResult
        {
            Groups = groups,
            DryRun = dryRun,
            EvaluatedAt = _time.GetUtcNow(),
            Deleted = deleted,
            Problems = problems,
            Locked = locked,
        };
    }

    /// <summary>Deletes the snapshot objects; the caller holds the shared lock.</summary>
    private async Task<(int Deleted, IReadOnlyList<LockedObject> Locked)> DeleteAsync(IReadOnlyList<BlobId> ids, CancellationToken ct)
    {
        var deleted = 0;
        var locked = new List<LockedObject>();
        foreach (var id in ids)
        {
            try
            {
                await _repository.Snapshots.DeleteAsync(id, ct).ConfigureAwait(false);
                deleted++;
            }
            catch (BackupObjectLockedException ex)
            {
                // One locked snapshot must not keep the others (or a later prune) from going: it is reported.
                locked.Add(LockedObject.From(ex));
            }
        }

        return (deleted, locked);
    }

    private async Task<RetentionResult> RunApplyAsync(RetentionPolicy policy, bool dryRun, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(policy);
        policy.Validate();

        var problems = new List<string>();
        var snapshots = new List<Snapshot>();
        await foreach (var snapshot in _repository.Snapshots.ListAsync((key, ex) => problems.Add($"{key}: {ex.Message}"), ct).ConfigureAwait(false))
        {
            if (Filter is null || Filter(snapshot))
            {
                snapshots.Add(snapshot);
            }
        }

        var now = _time.GetUtcNow();
        var groups = RetentionEvaluator.Evaluate(snapshots, policy, now);
        var removed = groups.SelectMany(g => g.Removed).Select(d => d.Snapshot.Id).ToList();

        var deleted = 0;
        IReadOnlyList<LockedObject> locked = [];
        if (!dryRun && removed.Count > 0)
        {
            // Forget only deletes snapshot objects: the index is not needed.
            await using var operation = await _repository.BeginOperationAsync(LockKind.Shared, "forget", refreshIndex: false, _time, ct).ConfigureAwait(false);
            (deleted, locked) = await DeleteAsync(removed, ct).ConfigureAwait(false);
        }

        return new RetentionResult
        {
            Groups = groups,
            DryRun = dryRun,
            EvaluatedAt = now,
            Deleted = deleted,
            Problems = problems,
            Locked = locked,
        };
    }
}
