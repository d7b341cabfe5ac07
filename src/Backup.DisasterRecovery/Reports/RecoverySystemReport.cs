namespace Backup.DisasterRecovery;

/// <summary>One system in a <see cref="RecoveryReport"/>: its objectives against what its drills measured, its copies, and every deviation.</summary>
public sealed record RecoverySystemReport
{
    /// <summary>The system's name in the plan.</summary>
    public required string Name { get; init; }

    /// <summary>What the system is.</summary>
    public string? Description { get; init; }

    /// <summary>Its tier (1 is recovered first).</summary>
    public required int Tier { get; init; }

    /// <summary>The recovery point objective.</summary>
    public TimeSpan? TargetRpo { get; init; }

    /// <summary>The recovery time objective.</summary>
    public TimeSpan? TargetRto { get; init; }

    /// <summary>The recovery point the last successful drill achieved (null: no successful drill restored data).</summary>
    public TimeSpan? AchievedRpo { get; init; }

    /// <summary>The recovery time the last successful drill achieved (null: no successful drill).</summary>
    public TimeSpan? AchievedRto { get; init; }

    /// <summary>The newest drill, successful or not.</summary>
    public RecoveryDrillSummary? LastDrill { get; init; }

    /// <summary>The newest successful drill.</summary>
    public RecoveryDrillSummary? LastSuccessfulDrill { get; init; }

    /// <summary>The recent drills, oldest first (the trend and the chart).</summary>
    public IReadOnlyList<RecoveryDrillSummary> Drills { get; init; } = [];

    /// <summary>Where the recovery time is heading over the recent successful drills.</summary>
    public RecoveryTrend RtoTrend { get; init; }

    /// <summary>The copies against 3-2-1-1-0, as validation found them (null: not validated).</summary>
    public CopyCompliance? Copies { get; init; }

    /// <summary>Every way the system falls short of its plan, in words; empty when it meets it.</summary>
    public IReadOnlyList<string> Deviations { get; init; } = [];

    /// <summary>Whether the system meets its plan (no deviation).</summary>
    public bool Met => Deviations.Count == 0;
}
