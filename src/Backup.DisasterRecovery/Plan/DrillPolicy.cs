namespace Backup.DisasterRecovery;

/// <summary>How often a system's recovery is drilled.</summary>
public sealed class DrillPolicy
{
    /// <summary>The longest time between two successful drills before the system's health is Degraded; null: not checked.</summary>
    public TimeSpan? MaxAge { get; set; }

    /// <summary>A cron expression (5 fields, or 6 with seconds first) on which a host drills the system; null: only when asked.</summary>
    public string? Schedule { get; set; }

    /// <summary>The IANA (or Windows) time zone <see cref="Schedule"/> is read in; default UTC.</summary>
    public string? TimeZone { get; set; }
}
