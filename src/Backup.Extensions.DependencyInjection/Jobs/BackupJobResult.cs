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
public sealed record BackupJobResult
{
    /// <summary>The job.</summary>
    public required string JobName { get; init; }

    /// <summary>How it ended.</summary>
    public required BackupJobOutcome Outcome { get; init; }

    /// <summary>When it started.</summary>
    public required DateTimeOffset StartTime { get; init; }

    /// <summary>How long it took.</summary>
    public required TimeSpan Duration { get; init; }

    /// <summary>The snapshot written, if any.</summary>
    public Snapshot? Snapshot { get; init; }

    /// <summary>Why it failed (messages never contain secrets).</summary>
    public Exception? Error { get; init; }

    /// <summary>The verification step's outcome, if it ran.</summary>
    public BackupVerificationOutcome? Verification { get; init; }

    /// <summary>The copies of the snapshot to secondary repositories (<see cref="BackupJobOptions.CopyTo"/>), if any were made.</summary>
    public IReadOnlyList<BackupCopyResult>? Copies { get; init; }

    /// <summary>What the job's retention decided and forgot, if it ran.</summary>
    public Core.Retention.RetentionResult? Retention { get; init; }

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
public sealed record BackupJobEvent
{
    /// <summary>The job.</summary>
    public required string JobName { get; init; }

    /// <summary>Start or end.</summary>
    public required BackupJobEventKind Kind { get; init; }

    /// <summary>When.</summary>
    public required DateTimeOffset Time { get; init; }

    /// <summary>For <see cref="BackupJobEventKind.Completed"/>, the outcome.</summary>
    public required BackupJobResult? Result { get; init; }
}
