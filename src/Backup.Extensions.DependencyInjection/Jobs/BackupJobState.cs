using System.Collections.Concurrent;

namespace Backup.Extensions.DependencyInjection;

/// <summary>What is known about a job's recent runs: read by health checks, the scheduler and the last-success gauge.</summary>
/// <param name="JobName">The job.</param>
/// <param name="LastSuccess">Time of the newest successful (complete) snapshot, or null.</param>
/// <param name="LastRun">When the last run finished, or null.</param>
/// <param name="LastOutcome">How the last run ended, or null.</param>
/// <param name="LastVerification">When the last verification finished, or null.</param>
/// <param name="LastVerificationSucceeded">Whether it passed, or null.</param>
/// <param name="LastVerificationMessage">Its summary.</param>
/// <param name="LastRestoreDuration">How long the last restore drill took, or null.</param>
/// <param name="LastCopyError">Why the last copy to a secondary repository failed ("offsite: ..."), or null when it succeeded or none ran.</param>
public sealed record BackupJobState(
    string JobName,
    DateTimeOffset? LastSuccess = null,
    DateTimeOffset? LastRun = null,
    BackupJobOutcome? LastOutcome = null,
    DateTimeOffset? LastVerification = null,
    bool? LastVerificationSucceeded = null,
    string? LastVerificationMessage = null,
    TimeSpan? LastRestoreDuration = null,
    string? LastCopyError = null);

/// <summary>
/// Job state, in memory. After a restart, the newest successful snapshot is recovered from the repository (the
/// single source of truth: snapshots carry the job's name) the first time it is asked for.
/// </summary>
public interface IBackupJobStateStore
{
    /// <summary>The state of <paramref name="jobName"/> as known in this process (never null).</summary>
    BackupJobState GetState(string jobName);

    /// <summary>All states known in this process.</summary>
    IReadOnlyCollection<BackupJobState> GetAllStates();

    /// <summary>Changes the state of <paramref name="jobName"/> atomically.</summary>
    BackupJobState UpdateState(string jobName, Func<BackupJobState, BackupJobState> update);
}

internal sealed class InMemoryBackupJobStateStore : IBackupJobStateStore
{
    private readonly ConcurrentDictionary<string, BackupJobState> _states = new(StringComparer.OrdinalIgnoreCase);

    public BackupJobState GetState(string jobName) => _states.GetValueOrDefault(jobName) ?? new BackupJobState(jobName);

    public IReadOnlyCollection<BackupJobState> GetAllStates() => [.. _states.Values];

    public BackupJobState UpdateState(string jobName, Func<BackupJobState, BackupJobState> update) =>
        _states.AddOrUpdate(jobName, name => update(new BackupJobState(name)), (_, current) => update(current));
}
