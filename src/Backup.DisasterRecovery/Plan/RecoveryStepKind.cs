namespace Backup.DisasterRecovery;

/// <summary>The kinds of recovery step.</summary>
public enum RecoveryStepKind
{
    /// <summary>Restore a snapshot of a job.</summary>
    Restore,

    /// <summary>Run a program.</summary>
    Command,

    /// <summary>Call an HTTP endpoint.</summary>
    Http,

    /// <summary>Wait until a health URL answers.</summary>
    WaitFor,

    /// <summary>Verify a restore.</summary>
    Verify,
}
