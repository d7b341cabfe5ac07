using Backup.Core.Snapshots;

namespace Backup.Extensions.DependencyInjection;

/// <summary>How a job run ended.</summary>
public enum BackupJobOutcome
{
    /// <summary>A complete snapshot was written and every step passed.</summary>
    Succeeded = 0,

    /// <summary>A snapshot was written but some entries could not be read (the snapshot is partial).</summary>
    Partial = 1,

    /// <summary>No snapshot was written, or a Fail hook or step failed.</summary>
    Failed = 2,

    /// <summary>The job was already running; this run did not start.</summary>
    Skipped = 3,

    /// <summary>The run was cancelled (shutdown); packs already uploaded are reused by the next run.</summary>
    Cancelled = 4,
}

/// <summary>The outcome of one job run.</summary>
/// <param name="JobName">The job.</param>
/// <param name="Outcome">How it ended.</param>
/// <param name="StartTime">When it started.</param>
/// <param name="Duration">How long it took.</param>
/// <param name="Snapshot">The snapshot written, if any.</param>
/// <param name="Error">Why it failed (messages never contain secrets).</param>
/// <param name="Verification">The verification step's outcome, if it ran.</param>
/// <param name="Copies">The copies of the snapshot to secondary repositories (<see cref="BackupJobOptions.CopyTo"/>), if any were made.</param>
/// <param name="Retention">What the job's retention decided and forgot, if it ran.</param>
public sealed record BackupJobResult(
    string JobName,
    BackupJobOutcome Outcome,
    DateTimeOffset StartTime,
    TimeSpan Duration,
    Snapshot? Snapshot = null,
    Exception? Error = null,
    BackupVerificationOutcome? Verification = null,
    IReadOnlyList<BackupCopyResult>? Copies = null,
    Core.Retention.RetentionResult? Retention = null)
{
    /// <summary>Whether a copy to a secondary repository failed (the outcome describes the primary snapshot only).</summary>
    public bool CopyFailed => Copies?.Any(c => !c.Succeeded) == true;
}

/// <summary>Whether an event announces a run or its end.</summary>
public enum BackupJobEventKind
{
    /// <summary>A run started.</summary>
    Started = 0,

    /// <summary>A run ended (see <see cref="BackupJobEvent.Result"/>).</summary>
    Completed = 1,
}

/// <summary>A job run started or ended.</summary>
/// <param name="JobName">The job.</param>
/// <param name="Kind">Start or end.</param>
/// <param name="Time">When.</param>
/// <param name="Result">For <see cref="BackupJobEventKind.Completed"/>, the outcome.</param>
public sealed record BackupJobEvent(string JobName, BackupJobEventKind Kind, DateTimeOffset Time, BackupJobResult? Result);
