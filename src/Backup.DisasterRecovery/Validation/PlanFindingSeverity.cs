namespace Backup.DisasterRecovery;

/// <summary>How serious a finding of plan validation is.</summary>
public enum PlanFindingSeverity
{
    /// <summary>The plan cannot deliver what it promises (a gap, an unreachable repository, a malformed step).</summary>
    Error,

    /// <summary>Worth fixing, not a gap by itself.</summary>
    Warning,
}
