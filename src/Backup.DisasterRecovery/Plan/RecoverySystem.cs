namespace Backup.DisasterRecovery;

/// <summary>One system to recover (a shop: its database and its uploaded files), its objectives and its procedure.</summary>
public sealed class RecoverySystem
{
    /// <summary>What the system is, for reports and the runbook.</summary>
    public string? Description { get; set; }

    /// <summary>Its criticality: 1 is recovered first; reports and runbooks order systems by tier, then name.</summary>
    public int Tier { get; set; } = 1;

    /// <summary>Recovery point objective: at most this much data may be lost. Required.</summary>
    public TimeSpan? Rpo { get; set; }

    /// <summary>Recovery time objective: recovery (the steps in order) must take at most this long. Required.</summary>
    public TimeSpan? Rto { get; set; }

    /// <summary>The jobs (names in <see cref="RecoveryPlan.Backup"/>'s Jobs) that protect the system. The first one's repository stores its drill results.</summary>
    public List<string> Jobs { get; } = [];

    /// <summary>
    /// The repositories holding the system's data (its jobs' repositories and the ones they copy to), described for
    /// the 3-2-1-1-0 rule. A job's repository not listed here still counts as a copy, on site, of its storage's kind,
    /// immutable only when its settings say so.
    /// </summary>
    public List<RecoveryCopy> Copies { get; } = [];

    /// <summary>The recovery procedure, in order.</summary>
    public List<RecoveryStep> Steps { get; } = [];

    /// <summary>The drill policy: how often, and on which schedule a host runs it.</summary>
    public DrillPolicy Drill { get; set; } = new();
}
