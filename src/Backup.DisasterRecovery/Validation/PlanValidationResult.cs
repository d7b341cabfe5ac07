namespace Backup.DisasterRecovery;

/// <summary>What validating a plan found: every finding, and each system's copy compliance.</summary>
public sealed record PlanValidationResult
{
    /// <summary>Every finding, errors first.</summary>
    public IReadOnlyList<PlanFinding> Findings { get; init; } = [];

    /// <summary>Each system's copies against 3-2-1-1-0, by system name.</summary>
    public IReadOnlyDictionary<string, CopyCompliance> Copies { get; init; } = new Dictionary<string, CopyCompliance>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Whether the plan has no errors.</summary>
    public bool IsValid => !Findings.Any(f => f.Severity == PlanFindingSeverity.Error);
}
