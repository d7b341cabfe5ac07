namespace Backup.Extensions.DependencyInjection;

/// <summary>Runs configured jobs now (the scheduler uses it too); usable without the scheduler.</summary>
public interface IBackupJobRunner
{
    /// <summary>The configured job names.</summary>
    IReadOnlyCollection<string> JobNames { get; }

    /// <summary>Raised in process when a run starts and when it ends, after the notification sinks were told.</summary>
    event EventHandler<BackupJobEvent>? JobEvent;

    /// <summary>Whether a run of <paramref name="jobName"/> is in progress in this process.</summary>
    bool IsRunning(string jobName);

    /// <summary>
    /// Runs <paramref name="jobName"/> once: pre-hooks, backup, retention, verification, post-hooks. Runs of one
    /// job never overlap: while one is in progress another returns at once with <see cref="BackupJobOutcome.Skipped"/>.
    /// Failures are reported in the result, not thrown.
    /// </summary>
    /// <exception cref="BackupJobNotFoundException">
    /// No job has that name (a <see cref="KeyNotFoundException"/>; a "run now" endpoint maps it to 404 Not Found).
    /// </exception>
    /// <exception cref="OperationCanceledException">
    /// <paramref name="cancellationToken"/> was cancelled; the run stopped cleanly (no snapshot; packs already
    /// uploaded are found and reused by the next run) and post-hooks ran.
    /// </exception>
    Task<BackupJobResult> RunAsync(string jobName, CancellationToken cancellationToken = default);
}
