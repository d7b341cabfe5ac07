namespace Backup.DisasterRecovery;

/// <summary>
/// The measured result of one drill of one system: every step's outcome and time, the achieved RTO and RPO, and what
/// was cleaned up. Stored encrypted in the repository of the system's first job (see <see cref="RecoveryDrillRecords"/>).
/// </summary>
public sealed record RecoveryDrillResult
{
    /// <summary>The system drilled.</summary>
    public required string System { get; init; }

    /// <summary>The plan's name.</summary>
    public string? Plan { get; init; }

    /// <summary>The host that ran the drill.</summary>
    public required string Host { get; init; }

    /// <summary>When the drill started.</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>When it finished (cleanup included).</summary>
    public required DateTimeOffset FinishedAt { get; init; }

    /// <summary>Whether every step that ran succeeded (skipped steps do not fail a drill).</summary>
    public required bool Succeeded { get; init; }

    /// <summary>The system's RPO when the drill ran.</summary>
    public TimeSpan? TargetRpo { get; init; }

    /// <summary>The system's RTO when the drill ran.</summary>
    public TimeSpan? TargetRto { get; init; }

    /// <summary>The achieved recovery time: the steps' durations added up.</summary>
    public required TimeSpan AchievedRto { get; init; }

    /// <summary>The achieved recovery point: the drill's start minus the oldest source time of the snapshots it restored; null when it restored nothing.</summary>
    public TimeSpan? AchievedRpo { get; init; }

    /// <summary>Every step, in order, including those skipped or not run.</summary>
    public IReadOnlyList<RecoveryStepResult> Steps { get; init; } = [];

    /// <summary>The scratch targets removed after the drill ("directory /tmp/…", "postgres database dr_…").</summary>
    public IReadOnlyList<string> CleanedUp { get; init; } = [];

    /// <summary>Scratch targets that could not be removed, with the reason (the operator removes them).</summary>
    public IReadOnlyList<string> CleanupProblems { get; init; } = [];

    /// <summary>Whether the achieved RTO stayed within the target (true when there is no target).</summary>
    public bool MetRto => TargetRto is not { } target || AchievedRto <= target;

    /// <summary>Whether the achieved RPO stayed within the target (true when there is no target or nothing was restored).</summary>
    public bool MetRpo => TargetRpo is not { } target || AchievedRpo is not { } achieved || achieved <= target;
}
