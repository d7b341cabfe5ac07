namespace Backup.DisasterRecovery;

/// <summary>
/// A warning a step of a drill ended with (see <see cref="RecoveryStepResult.Warnings"/>): the step passed, but a
/// recovery would not have, such as a role the recovery server lacks.
/// </summary>
public sealed record RecoveryDrillWarning
{
    /// <summary>The step that warned.</summary>
    public required string Step { get; init; }

    /// <summary>What it warned of.</summary>
    public required string Message { get; init; }
}
