using System.Collections.Concurrent;

namespace Backup.Extensions.DependencyInjection;

/// <summary>What is known about a job's recent runs: read by health checks, the scheduler and the last-success gauge.</summary>
public sealed record BackupJobState
{
    /// <summary>The job.</summary>
    public required string JobName { get; init; }

    /// <summary>Time of the newest successful (complete) snapshot, or null.</summary>
    public DateTimeOffset? LastSuccess { get; init; }

    /// <summary>When the last run finished, or null.</summary>
    public DateTimeOffset? LastRun { get; init; }

    /// <summary>How the last run ended, or null.</summary>
    public BackupJobOutcome? LastOutcome { get; init; }

    /// <summary>
    /// Why the last run was not complete: for a Partial run the first entries it could not read ("path: reason", at
    /// most <see cref="MaxProblemsKept"/>), for a Failed run its error; null after a run that succeeded or was cancelled.
    /// </summary>
    public IReadOnlyList<string>? LastRunProblems { get; init; }

    /// <summary>
    /// How many problems the last run had, of which <see cref="LastRunProblems"/> holds the first: the entries a Partial
    /// run could not read, 1 for a Failed run (its error); 0 after a run that succeeded or was cancelled.
    /// </summary>
    public int LastRunProblemCount { get; init; }

    /// <summary>How many of a run's problems are kept in <see cref="LastRunProblems"/> (and logged one by one).</summary>
    public const int MaxProblemsKept = 20;

    /// <summary>When the last verification finished, or null.</summary>
    public DateTimeOffset? LastVerification { get; init; }

    /// <summary>Whether it passed, or null.</summary>
    public bool? LastVerificationSucceeded { get; init; }

    /// <summary>Its summary.</summary>
    public string? LastVerificationMessage { get; init; }

    /// <summary>How long the last restore drill took, or null.</summary>
    public TimeSpan? LastRestoreDuration { get; init; }

    /// <summary>Why the last copy to a secondary repository failed ("offsite: ..."), or null when it succeeded or none ran.</summary>
    public string? LastCopyError { get; init; }
}

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

    public BackupJobState GetState(string jobName) => _states.GetValueOrDefault(jobName) ?? new BackupJobState { JobName = jobName };

    public IReadOnlyCollection<BackupJobState> GetAllStates() => [.. _states.Values];

    public BackupJobState UpdateState(string jobName, Func<BackupJobState, BackupJobState> update) =>
        _states.AddOrUpdate(jobName, name => update(new BackupJobState { JobName = name }), (_, current) => update(current));
}
