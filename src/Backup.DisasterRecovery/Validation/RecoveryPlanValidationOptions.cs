namespace Backup.DisasterRecovery;

/// <summary>How far <see cref="RecoveryPlanValidator"/> goes beyond the plan itself.</summary>
public sealed class RecoveryPlanValidationOptions
{
    /// <summary>Open every repository the systems name (default true); false validates the plan alone, offline.</summary>
    public bool OpenRepositories { get; init; } = true;

    /// <summary>Run a structural check of every copy (index, pack headers, snapshots and trees; no data is read) for the 3-2-1-1-0 "zero errors" (default true).</summary>
    public bool CheckRepositories { get; init; } = true;

    /// <summary>
    /// Ask the server each database restore step recovers into (its ConnectionString) whether it has the roles the
    /// step's snapshot needs (default true; only with <see cref="OpenRepositories"/>). Reads the server's list of roles
    /// and nothing else; false leaves the database servers alone.
    /// </summary>
    public bool CheckRestoreTargets { get; init; } = true;
}
