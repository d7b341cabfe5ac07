namespace Backup.DisasterRecovery;

/// <summary>Where drills restore to. Drills never touch production: every restore goes to a scratch place made for the drill and removed after it.</summary>
public sealed class DrillScratchOptions
{
    /// <summary>The directory under which each drill's file restores get a fresh directory (default: the system's temporary directory).</summary>
    public string? Directory { get; set; }

    /// <summary>Scratch database servers by engine name ("postgres", "mysql"): a drill creates a database with a unique name there and drops it afterwards.</summary>
    public Dictionary<string, ScratchDatabaseServer> Databases { get; } = new(StringComparer.OrdinalIgnoreCase);
}
