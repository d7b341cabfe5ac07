using System.Collections.Concurrent;
using Backup.Core.Snapshots;
using Microsoft.Extensions.Options;

namespace Backup.Extensions.DependencyInjection;

/// <summary>
/// The newest successful snapshot of a job: from this process's state when a run has succeeded here, otherwise
/// read once from the repository (snapshots carry the job's name in their metadata).
/// </summary>
/// <remarks>
/// A failed look is answered from memory for <see cref="RetryAfter"/>: health probes come every few seconds, and each
/// retry of a repository that cannot be opened (a wrong password) would run the key derivation again, with its
/// memory, for the same answer.
/// </remarks>
internal sealed class BackupJobHistory(IBackupJobStateStore state, IBackupRepositoryProvider repositories, IOptions<BackupHostingOptions> options, TimeProvider time)
{
    /// <summary>How long a failed look at a job's repository is given as the answer before it is tried again.</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, (System.Runtime.ExceptionServices.ExceptionDispatchInfo Error, DateTimeOffset At)> _failed = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The snapshot metadata key holding the job's name.</summary>
    public const string JobMetadataKey = "backup.job";

    /// <summary>
    /// The newest complete snapshot of the job called <paramref name="jobName"/> not dated more than
    /// <see cref="SnapshotStore.ClockSkewAllowance"/> after <paramref name="now"/>: the job's last success, and the one
    /// its "latest" means for a drill or a recovery. A damaged snapshot object throws, as listing does.
    /// </summary>
    public static async Task<Core.Snapshots.Snapshot?> NewestJobSnapshotAsync(Core.BackupRepository repository, string jobName, DateTimeOffset now, CancellationToken cancellationToken) =>
        (await NewestJobSnapshotsAsync(repository, jobName, now, cancellationToken).ConfigureAwait(false)).NotAhead;

    /// <summary>
    /// From one scan of the snapshot list: the job's newest complete snapshot not dated ahead of <paramref name="now"/>
    /// (as <see cref="NewestJobSnapshotAsync"/>), and its newest complete snapshot at any date.
    /// </summary>
    private static async Task<(Core.Snapshots.Snapshot? NotAhead, Core.Snapshots.Snapshot? Any)> NewestJobSnapshotsAsync(
        Core.BackupRepository repository, string jobName, DateTimeOffset now, CancellationToken cancellationToken)
    {
        Core.Snapshots.Snapshot? notAhead = null;
        Core.Snapshots.Snapshot? any = null;
        await foreach (var snapshot in repository.Snapshots.ListAsync(null, cancellationToken).ConfigureAwait(false))
        {
            if (snapshot.Partial || !IsJobSnapshot(snapshot, jobName))
            {
                continue;
            }

            if (any is null || snapshot.Time > any.Time)
            {
                any = snapshot;
            }

            if (snapshot.Time <= now + SnapshotStore.ClockSkewAllowance && (notAhead is null || snapshot.Time > notAhead.Time))
            {
                notAhead = snapshot;
            }
        }

        return (notAhead, any);
    }

    /// <summary>Whether <paramref name="snapshot"/> was written by the job called <paramref name="jobName"/> (its metadata names the job).</summary>
    public static bool IsJobSnapshot(Core.Snapshots.Snapshot snapshot, string jobName) =>
        snapshot.Metadata.TryGetValue(JobMetadataKey, out var owner) && string.Equals(owner, jobName, StringComparison.OrdinalIgnoreCase);

    private readonly ConcurrentDictionary<string, Lazy<Task<bool>>> _loaded = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _newestStored = new(StringComparer.OrdinalIgnoreCase);

    public async ValueTask<DateTimeOffset?> GetLastSuccessAsync(string jobName, CancellationToken cancellationToken)
    {
        if (state.GetState(jobName).LastSuccess is { } known)
        {
            return known;
        }

        await EnsureLoadedAsync(jobName, cancellationToken).ConfigureAwait(false);
        return state.GetState(jobName).LastSuccess;
    }

    /// <summary>
    /// The time of the job's newest complete snapshot in its repository whatever its date, also one dated after now
    /// (which <see cref="GetLastSuccessAsync"/> passes over), from the same single read: what the scheduler's start-up
    /// needs to tell an occurrence that ran before the clock was set back. Null when there is none.
    /// </summary>
    public async ValueTask<DateTimeOffset?> GetNewestStoredAsync(string jobName, CancellationToken cancellationToken)
    {
        await EnsureLoadedAsync(jobName, cancellationToken).ConfigureAwait(false);
        return _newestStored.TryGetValue(jobName, out var newest) ? newest : null;
    }

    private async Task EnsureLoadedAsync(string jobName, CancellationToken cancellationToken)
    {
        if (_failed.TryGetValue(jobName, out var failed) && time.GetUtcNow() - failed.At < RetryAfter)
        {
            failed.Error.Throw();
        }

        // One scan per job and process: after it, runs in this process keep the state current. The scan is shared,
        // so it does not take one caller's token; each caller stops waiting on its own token instead.
        var load = _loaded.GetOrAdd(jobName, name => new Lazy<Task<bool>>(() => LoadAsync(name, CancellationToken.None)));
        try
        {
            if (!await load.Value.WaitAsync(cancellationToken).ConfigureAwait(false))
            {
                // No repository yet: looked for again next time, when the job's first run may have created it.
                _loaded.TryRemove(new KeyValuePair<string, Lazy<Task<bool>>>(jobName, load));
            }
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            _loaded.TryRemove(new KeyValuePair<string, Lazy<Task<bool>>>(jobName, load));
            _failed[jobName] = (System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e), time.GetUtcNow());
            throw;
        }

        _failed.TryRemove(jobName, out _);
    }

    /// <summary>Scans the job's repository for its newest complete snapshot; false when the repository does not exist (yet).</summary>
    /// <remarks>
    /// Only reads: the health check and the scheduler's catch-up call this before any run, and neither may create a
    /// repository (CreateIfMissing is for the job's runs). A repository that is not there yet but will be created
    /// holds no snapshot.
    /// </remarks>
    private async Task<bool> LoadAsync(string jobName, CancellationToken cancellationToken)
    {
        if (!options.Value.Jobs.TryGetValue(jobName, out var job) || job.Repository is null)
        {
            return true;
        }

        Core.BackupRepository repository;
        try
        {
            repository = repositories is BackupRepositoryProvider provider
                ? await provider.GetExistingAsync(job.Repository, cancellationToken).ConfigureAwait(false)
                : await repositories.GetAsync(job.Repository, cancellationToken).ConfigureAwait(false);
        }
        catch (Core.Repository.RepositoryNotFoundException) when (options.Value.Repositories.TryGetValue(job.Repository, out var settings) && settings.CreateIfMissing)
        {
            // The job's first run creates it. Without CreateIfMissing a missing repository is a fault (an unmounted
            // disk, a mistyped Location) that every run will meet: reported as such, with the location.
            return false;
        }

        // A snapshot dated after now says nothing of how recent the last backup is (a clock that ran ahead, or one added
        // by anyone who holds the password): taken as the last success, it would keep the RPO check healthy until then.
        // The newest at any date is kept apart, for the scheduler to judge against its schedule.
        var (found, newest) = await NewestJobSnapshotsAsync(repository, jobName, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (newest is { } stored)
        {
            _newestStored[jobName] = stored.Time;
        }

        if (found?.Time is { } success)
        {
            state.UpdateState(jobName, s => s.LastSuccess is { } current && current >= success ? s : s with { LastSuccess = success });
        }

        return true;
    }
}
