namespace Backup.DisasterRecovery;

/// <summary>Runs a system's recovery steps against scratch targets, measures them, cleans up and stores the result.</summary>
public interface IRecoveryDrillRunner
{
    /// <summary>
    /// Drills <paramref name="system"/> of <paramref name="plan"/>: runs its steps in order (a failing step stops the
    /// drill), removes every scratch target it made, stores the result in the repository of the system's first job,
    /// and returns it. A failing step is a result, not an exception.
    /// </summary>
    /// <exception cref="ArgumentException">The plan has no such system.</exception>
    Task<RecoveryDrillResult> RunAsync(RecoveryPlan plan, string system, CancellationToken cancellationToken = default);
}
