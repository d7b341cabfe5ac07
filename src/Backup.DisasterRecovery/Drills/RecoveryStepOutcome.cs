namespace Backup.DisasterRecovery;

/// <summary>How one step of a drill ended.</summary>
public enum RecoveryStepOutcome
{
    /// <summary>It did what it should.</summary>
    Succeeded,

    /// <summary>It failed; the system's drill stopped there.</summary>
    Failed,

    /// <summary>It did not finish within its timeout; the system's drill stopped there.</summary>
    TimedOut,

    /// <summary>It has no drill form (no drill URL or command) and was not run.</summary>
    Skipped,

    /// <summary>An earlier step failed, so it was not run.</summary>
    NotRun,
}
