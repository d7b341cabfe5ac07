namespace Backup.DisasterRecovery;

/// <summary>Where a system's recovery time is heading over its recent successful drills.</summary>
public enum RecoveryTrend
{
    /// <summary>Fewer than two successful drills: nothing to compare.</summary>
    Unknown,

    /// <summary>The newest successful drill was more than 10% faster than the median of the earlier ones.</summary>
    Improving,

    /// <summary>Within 10% of the median of the earlier successful drills.</summary>
    Steady,

    /// <summary>The newest successful drill was more than 10% slower than the median of the earlier ones.</summary>
    Worsening,
}
