using System.Text.Json;

namespace Backup.DisasterRecovery;

/// <summary>
/// What a plan promises against what its drills measured, per system: target and achieved RPO and RTO, the last
/// successful drill, the trend over the recent drills, copy compliance and every deviation. Built from the plan, the
/// drill results stored in the repositories and a validation result (<see cref="RecoveryReportBuilder"/>); rendered
/// as Markdown, one self-contained HTML page or JSON.
/// </summary>
public sealed record RecoveryReport
{
    /// <summary>The plan's name.</summary>
    public string? Plan { get; init; }

    /// <summary>When the report was made.</summary>
    public required DateTimeOffset GeneratedAt { get; init; }

    /// <summary>The systems, by tier, then name.</summary>
    public IReadOnlyList<RecoverySystemReport> Systems { get; init; } = [];

    /// <summary>Deviations of the plan as a whole (validation findings that concern no single system).</summary>
    public IReadOnlyList<string> PlanDeviations { get; init; } = [];

    /// <summary>Whether the plan and every system meet their objectives.</summary>
    public bool Met => PlanDeviations.Count == 0 && Systems.All(s => s.Met);

    /// <summary>The report as Markdown: a summary table, then one section per system.</summary>
    public string ToMarkdown() => MarkdownReportRenderer.Render(this);

    /// <summary>The report as one self-contained HTML page (inline CSS and SVG, no scripts, no external assets).</summary>
    public string ToHtml() => HtmlReportRenderer.Render(this);

    /// <summary>The report as indented JSON (camelCase; durations as "d.hh:mm:ss", times as ISO 8601).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, ReportJson.Default.RecoveryReport);
}
