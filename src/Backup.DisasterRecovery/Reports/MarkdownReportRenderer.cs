using System.Text;
using System.Text.RegularExpressions;

namespace Backup.DisasterRecovery;

/// <summary>Writes a <see cref="RecoveryReport"/> as Markdown: a summary table, then one section per system.</summary>
internal static partial class MarkdownReportRenderer
{
    public static string Render(RecoveryReport report)
    {
        var md = new StringBuilder();
        md.Append("# Disaster-recovery report").Append(report.Plan is { } plan ? $": {Cell(plan)}" : "").Append("\n\n");
        var met = report.Systems.Count(s => s.Met);
        md.Append($"Generated {ReportFormat.Time(report.GeneratedAt)}. {met} of {report.Systems.Count} system{(report.Systems.Count == 1 ? "" : "s")} meet{(report.Systems.Count == 1 && met == 1 ? "s" : "")} the plan.\n\n");
        if (report.PlanDeviations.Count > 0)
        {
            md.Append("## Plan deviations\n\n");
            foreach (var deviation in report.PlanDeviations)
            {
                md.Append("- ").Append(Line(deviation)).Append('\n');
            }

            md.Append('\n');
        }

        md.Append("| System | Tier | Target RPO | Achieved RPO | Target RTO | Achieved RTO | Last successful drill | RTO trend | Status |\n");
        md.Append("|---|---:|---:|---:|---:|---:|---|---|---|\n");
        foreach (var system in report.Systems)
        {
            md.Append($"| {Cell(system.Name)} | {system.Tier} | {ReportFormat.Duration(system.TargetRpo)} | {ReportFormat.Duration(system.AchievedRpo)} | {ReportFormat.Duration(system.TargetRto)} | {ReportFormat.Duration(system.AchievedRto)} | {(system.LastSuccessfulDrill is { } drill ? ReportFormat.Time(drill.StartedAt) : "never")} | {ReportFormat.Trend(system.RtoTrend)} | {Status(system)} |\n");
        }

        foreach (var system in report.Systems)
        {
            md.Append($"\n## {Cell(system.Name)} (tier {system.Tier})\n\n");
            if (!string.IsNullOrWhiteSpace(system.Description))
            {
                md.Append(Line(system.Description)).Append("\n\n");
            }

            md.Append($"- RPO: target {ReportFormat.Duration(system.TargetRpo)}, achieved {ReportFormat.Duration(system.AchievedRpo)}\n");
            md.Append($"- RTO: target {ReportFormat.Duration(system.TargetRto)}, achieved {ReportFormat.Duration(system.AchievedRto)}\n");
            md.Append($"- Last drill: {Describe(system.LastDrill)}\n");
            md.Append($"- Last successful drill: {Describe(system.LastSuccessfulDrill)}\n");
            md.Append($"- RTO trend: {ReportFormat.Trend(system.RtoTrend)}\n");
            md.Append($"- Copies (3-2-1-1-0): {Line(ReportFormat.Copies(system.Copies))}\n");
            md.Append("\n### Deviations\n\n");
            if (system.Deviations.Count == 0)
            {
                md.Append("None: the system meets its plan.\n");
            }

            foreach (var deviation in system.Deviations)
            {
                md.Append("- ").Append(Line(deviation)).Append('\n');
            }

            Warnings(md, system);
            if (system.Drills.Count > 0)
            {
                md.Append("\n### Recent drills\n\n| Started | Host | Outcome | RTO | RPO |\n|---|---|---|---:|---:|\n");
                foreach (var drill in system.Drills.Reverse())
                {
                    md.Append($"| {ReportFormat.Time(drill.StartedAt)} | {Cell(drill.Host)} | {Outcome(drill)} | {ReportFormat.Duration(drill.AchievedRto)} | {ReportFormat.Duration(drill.AchievedRpo)} |\n");
                }
            }
        }

        return md.ToString();
    }

    private static string Status(RecoverySystemReport system) =>
        system.Met ? "met" : $"**{system.Deviations.Count} deviation{(system.Deviations.Count == 1 ? "" : "s")}**";

    private static string Describe(RecoveryDrillSummary? drill) => drill is null
        ? "never"
        : $"{ReportFormat.Time(drill.StartedAt)} on {Cell(drill.Host)}, {Outcome(drill)}, RTO {ReportFormat.Duration(drill.AchievedRto)}, RPO {ReportFormat.Duration(drill.AchievedRpo)}";

    private static string Outcome(RecoveryDrillSummary drill) =>
        (drill.Succeeded ? "succeeded" : drill.FailedStep is { } step ? $"failed at '{Cell(step)}'" : "failed") + ReportFormat.Notes(drill);

    /// <summary>The warnings of the drills the section describes (the last, and the last successful one), in full.</summary>
    private static void Warnings(StringBuilder md, RecoverySystemReport system)
    {
        var drills = ReportFormat.DrillsWithWarnings(system);
        if (drills.Count == 0)
        {
            return;
        }

        md.Append("\n### Drill warnings\n\nSteps that passed in the drill but warned of what a recovery would meet:\n\n");
        foreach (var drill in drills)
        {
            foreach (var warning in drill.Warnings)
            {
                md.Append($"- {ReportFormat.Time(drill.StartedAt)}, step '{Line(warning.Step)}': {Line(warning.Message)}\n");
            }
        }
    }

    /// <summary>Text inside a table cell: as <see cref="Line"/>, whose escaping covers the pipes that would end the cell.</summary>
    private static string Cell(string text) => Line(text);

    /// <summary>
    /// Text from elsewhere (a host name, a step's error, a server's warning) as plain text on one line: line breaks
    /// would end a table row or list item, and Markdown's punctuation would turn the rest into markup, HTML, links or
    /// table cells. Every character that is markup anywhere in a line is escaped with a backslash, and what is markup
    /// only at a line's start (a list, a heading's underline) where the text starts.
    /// </summary>
    internal static string Line(string text)
    {
        var line = text.ReplaceLineEndings(" ");
        var escaped = new StringBuilder(line.Length + 8);
        foreach (var c in line)
        {
            if (c is '\\' or '`' or '*' or '_' or '[' or ']' or '<' or '>' or '|' or '#' or '&' or '~')
            {
                escaped.Append('\\');
            }

            escaped.Append(c);
        }

        return LineStartMarkup().Replace(escaped.ToString(), @"$1\$2", 1);
    }

    /// <summary>"- ", "+ ", "= " or "1. " at the start: a list or a heading's underline, were the text a line of its own.</summary>
    [GeneratedRegex(@"^(\s*(?:\d+(?=[.)]))?)([-+=.)])")]
    private static partial Regex LineStartMarkup();
}
