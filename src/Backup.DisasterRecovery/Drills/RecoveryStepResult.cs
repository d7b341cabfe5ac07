namespace Backup.DisasterRecovery;

/// <summary>What one step of a drill did.</summary>
public sealed record RecoveryStepResult
{
    /// <summary>The step's name.</summary>
    public required string Name { get; init; }

    /// <summary>The step's kind.</summary>
    public required RecoveryStepKind Kind { get; init; }

    /// <summary>How it ended.</summary>
    public required RecoveryStepOutcome Outcome { get; init; }

    /// <summary>How long it took.</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>The end of its output (a command's output, a response body), at most a few kilobytes; secrets are the step's business not to print.</summary>
    public string? Output { get; init; }

    /// <summary>Why it failed or was skipped.</summary>
    public string? Error { get; init; }

    /// <summary>
    /// What the step did not fail on but a recovery would: for a database restore step that names the server a
    /// recovery restores into, the roles the snapshot needs that server lacks (a drill restores into a scratch server
    /// without grants, so it cannot fail on them), or why they could not be checked. Empty for older results.
    /// </summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>
    /// For a file restore step: the device nodes among the restored paths that the drill did not create (a drill
    /// creates none: it runs without root, into a scratch directory). Not a failure: nothing is wrong with them in the
    /// snapshot. Their paths are in <see cref="Output"/>; 0 for older results.
    /// </summary>
    public int SkippedDeviceNodes { get; init; }

    /// <summary>For a restore step: the job restored.</summary>
    public string? Job { get; init; }

    /// <summary>For a restore step: the snapshot restored (its full ID).</summary>
    public string? SnapshotId { get; init; }

    /// <summary>For a restore step: when the restored snapshot's backup started (the source time the achieved RPO is measured from).</summary>
    public DateTimeOffset? SnapshotTime { get; init; }
}
