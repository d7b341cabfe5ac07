using Backup.Extensions.DependencyInjection;

namespace Backup.DisasterRecovery;

/// <summary>
/// A disaster-recovery plan: the systems to recover, each with its objectives, the jobs and copies that protect it
/// and its ordered recovery steps. Jobs, repositories and sources are named in the host's vocabulary
/// (<see cref="Backup"/>, the same shape as the <c>Backup</c> configuration section), so a plan can sit next to the
/// host's configuration or carry its own. Loaded from a YAML or JSON file, or built in code.
/// </summary>
public sealed class RecoveryPlan
{
    /// <summary>A name for reports and stored drill results (default: the plan file's name).</summary>
    public string? Name { get; set; }

    /// <summary>The repositories, sources and jobs the systems refer to, as a host configures them.</summary>
    public BackupHostingOptions Backup { get; set; } = new();

    /// <summary>The systems, by name.</summary>
    public Dictionary<string, RecoverySystem> Systems { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Where scratch targets of drills live: a scratch directory root and scratch database servers.</summary>
    public DrillScratchOptions Scratch { get; set; } = new();
}
