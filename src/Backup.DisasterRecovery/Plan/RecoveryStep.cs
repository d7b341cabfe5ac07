namespace Backup.DisasterRecovery;

/// <summary>
/// One step of a recovery procedure: exactly one of <see cref="Restore"/>, <see cref="Command"/>, <see cref="Http"/>,
/// <see cref="WaitFor"/> and <see cref="Verify"/> is set.
/// </summary>
public sealed class RecoveryStep
{
    /// <summary>What the step does, in the operator's words ("Restore the shop database"). Required, unique within the system.</summary>
    public string? Name { get; set; }

    /// <summary>How long the step may take before it fails (default 30 minutes).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Restores a snapshot of a job (files or a database).</summary>
    public RestoreStep? Restore { get; set; }

    /// <summary>Runs a program.</summary>
    public CommandStep? Command { get; set; }

    /// <summary>Calls an HTTP endpoint (a DNS switch, a scale-up call, a chat message).</summary>
    public HttpStep? Http { get; set; }

    /// <summary>Waits until a health URL answers as expected.</summary>
    public WaitStep? WaitFor { get; set; }

    /// <summary>Verifies what an earlier restore step restored (database checksums, file contents).</summary>
    public VerifyStep? Verify { get; set; }

    /// <summary>Which kind of step this is, or null when none or more than one is set (validation reports it).</summary>
    public RecoveryStepKind? Kind =>
        (Restore, Command, Http, WaitFor, Verify) switch
        {
            ({ }, null, null, null, null) => RecoveryStepKind.Restore,
            (null, { }, null, null, null) => RecoveryStepKind.Command,
            (null, null, { }, null, null) => RecoveryStepKind.Http,
            (null, null, null, { }, null) => RecoveryStepKind.WaitFor,
            (null, null, null, null, { }) => RecoveryStepKind.Verify,
            _ => null,
        };
}
