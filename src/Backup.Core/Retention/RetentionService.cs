using Backup.Core.Diagnostics;
using Backup.Core.Repository;
using Backup.Core.Snapshots;
using Backup.Core.Repository.Locks;
using Backup.Core.Storage;

namespace Backup.Core.Retention;

/// <summary>
/// Applies a <see cref="RetentionPolicy"/> to a repository ("forget"): lists the snapshots, evaluates the policy
/// with <see cref="RetentionEvaluator"/>, and deletes the snapshot objects it removes. The data those snapshots
/// referenced stays until prune frees it.
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
        var locked = new List<LockedObject>();
        if (!dryRun && removed.Count > 0)
        {
            // Forget only deletes snapshot objects: the index is not needed.
            await using var operation = await _repository.BeginOperationAsync(LockKind.Shared, "forget", refreshIndex: false, _time, ct).ConfigureAwait(false);
            foreach (var id in removed)
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
