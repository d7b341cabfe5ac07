namespace Backup.DisasterRecovery;

/// <summary>One thing plan validation found.</summary>
/// <param name="Severity">How serious it is.</param>
/// <param name="Rule">Which rule: "protected", "rpo-schedule", "3-2-1-1-0", "repository", "snapshots", "roles", "step", "plan".</param>
/// <param name="System">The system it concerns, or null for the plan as a whole.</param>
/// <param name="Message">What is wrong and what to do, naming the setting (never a secret).</param>
public sealed record PlanFinding(PlanFindingSeverity Severity, string Rule, string? System, string Message);
