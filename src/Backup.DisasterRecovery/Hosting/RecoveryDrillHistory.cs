using System.Collections.Concurrent;
using Backup.Core;
using Backup.Core.Repository;
using Backup.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Backup.DisasterRecovery;

/// <summary>
/// The newest drill and the newest successful drill of each system: read once per system from the repository of its
/// first job, then kept current by the drills this process runs. The health checks and gauges read it.
/// </summary>
internal sealed class RecoveryDrillHistory(RecoveryPlan plan, IBackupRepositoryProvider repositories, IOptions<BackupHostingOptions> options)
{
    private readonly ConcurrentDictionary<string, RecoveryDrillState> _states = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, Lazy<Task<bool>>> _loaded = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The system's drills as known now, without reading anything (the gauges' view).</summary>
    public RecoveryDrillState GetKnown(string system) => _states.GetValueOrDefault(system) ?? RecoveryDrillState.None;

    /// <summary>The system's drills, read from its repository the first time.</summary>
    public async Task<RecoveryDrillState> GetAsync(string system, CancellationToken cancellationToken)
    {
        // One read per system and process, shared by every caller: it does not take one caller's token.
        var load = _loaded.GetOrAdd(system, name => new Lazy<Task<bool>>(() => LoadAsync(name, CancellationToken.None)));
        try
        {
            if (!await load.Value.WaitAsync(cancellationToken).ConfigureAwait(false))
            {
                // No repository yet: looked for again next time, when a job's first run may have created it.
                _loaded.TryRemove(new KeyValuePair<string, Lazy<Task<bool>>>(system, load));
            }
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            _loaded.TryRemove(new KeyValuePair<string, Lazy<Task<bool>>>(system, load));
            throw;
        }

        return GetKnown(system);
    }

    /// <summary>Adds a drill this process ran.</summary>
    public void Record(RecoveryDrillResult result) =>
        _states.AddOrUpdate(result.System, _ => RecoveryDrillState.None.With(result), (_, state) => state.With(result));

    /// <summary>Reads the system's stored drills; false when its repository does not exist yet (and will be created by a job's first run).</summary>
    /// <remarks>
    /// Only reads: the scheduler and the health checks call this at start, before any job has run, and neither may
    /// create a repository (CreateIfMissing is for the jobs' runs). Without CreateIfMissing a missing repository is a
    /// fault (an unmounted disk, a mistyped Location), thrown with its location for the caller to report.
    /// </remarks>
    private async Task<bool> LoadAsync(string system, CancellationToken cancellationToken)
    {
        if (!plan.Systems.TryGetValue(system, out var settings) || settings.Jobs.Count == 0
            || !options.Value.Jobs.TryGetValue(settings.Jobs[0], out var job) || job.Repository is null)
        {
            return true;
        }

        BackupRepository repository;
        try
        {
            repository = repositories is BackupRepositoryProvider provider
                ? await provider.GetExistingAsync(job.Repository, cancellationToken).ConfigureAwait(false)
                : await repositories.GetAsync(job.Repository, cancellationToken).ConfigureAwait(false);
        }
        catch (RepositoryNotFoundException) when (options.Value.Repositories.TryGetValue(job.Repository, out var repositorySettings) && repositorySettings.CreateIfMissing)
        {
            return false;
        }

        await foreach (var result in RecoveryDrillRecords.ListAsync(repository, system, onError: null, cancellationToken).ConfigureAwait(false))
        {
            Record(result);
        }

        return true;
    }
}

/// <summary>A system's newest drill and newest successful drill (either may be null).</summary>
internal sealed record RecoveryDrillState(RecoveryDrillResult? Last, RecoveryDrillResult? LastSuccess)
{
    public static RecoveryDrillState None { get; } = new(null, null);

    /// <summary>This state with <paramref name="result"/> taken in where it is newer.</summary>
    public RecoveryDrillState With(RecoveryDrillResult result) => new(
        Last is null || result.StartedAt >= Last.StartedAt ? result : Last,
        result.Succeeded && (LastSuccess is null || result.StartedAt >= LastSuccess.StartedAt) ? result : LastSuccess);
}
