using System.Net;
using System.Text;

namespace Backup.DisasterRecovery;

/// <summary>
/// Writes a <see cref="RecoveryReport"/> as one self-contained HTML page: inline CSS, an inline SVG chart per system,
/// no scripts and no external assets, so it can be mailed, archived or opened offline. Figures carry
/// <c>data-field</c> attributes so tools (and the tests) can read them back.
/// </summary>
internal static class HtmlReportRenderer
{
    private const string Style = """
        :root { color-scheme: light; }
        body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #24292f; background: #f6f8fa; margin: 0; }
        main { max-width: 980px; margin: 0 auto; padding: 24px 32px 48px; }
        h1 { font-size: 26px; margin: 8px 0 4px; }
        h2 { font-size: 20px; margin: 0 0 8px; display: flex; align-items: center; gap: 10px; flex-wrap: wrap; }
        h3 { font-size: 15px; margin: 20px 0 6px; color: #57606a; text-transform: uppercase; letter-spacing: .04em; }
        .meta { color: #57606a; margin: 0 0 20px; }
        section, .plan-deviations { background: #fff; border: 1px solid #d0d7de; border-radius: 8px; padding: 20px 24px; margin: 20px 0; overflow-x: auto; }
        section > h3:first-child, .plan-deviations > h3:first-child { margin-top: 0; }
        table { border-collapse: collapse; width: 100%; margin: 4px 0; }
        th, td { text-align: left; padding: 7px 10px; border-bottom: 1px solid #eaeef2; vertical-align: top; }
        thead th { background: #f6f8fa; font-weight: 600; border-bottom: 1px solid #d0d7de; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
        table.facts th { width: 200px; color: #57606a; font-weight: 500; }
        .pill { display: inline-block; white-space: nowrap; font-size: 12px; font-weight: 600; padding: 2px 10px; border-radius: 999px; }
        .pass { color: #1a7f37; background: #dafbe1; }
        .fail { color: #cf222e; background: #ffebe9; }
        .warn { color: #9a6700; background: #fff8c5; }
        .none { color: #57606a; background: #eaeef2; }
        td.pass, td.fail, td.warn, td.none { font-weight: 600; }
        .tier { font-size: 13px; font-weight: 500; color: #57606a; }
        .description { color: #57606a; margin: 0 0 12px; }
        ul.deviations { margin: 4px 0; padding-left: 20px; }
        ul.deviations li { color: #cf222e; margin: 2px 0; }
        ul.warnings { margin: 4px 0; padding-left: 20px; }
        ul.warnings li { color: #9a6700; margin: 2px 0; }
        p.ok { color: #1a7f37; margin: 4px 0; }
        svg.chart { max-width: 100%; height: auto; display: block; background: #fff; }
        .legend { font-size: 12px; color: #57606a; }
        .legend span { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin: 0 4px 0 12px; vertical-align: -1px; }
        @media print { body { background: #fff; } section { break-inside: avoid; } }
        """;

    public static string Render(RecoveryReport report)
    {
        var title = "Disaster-recovery report" + (report.Plan is { } plan ? ": " + plan : "");
        var met = report.Systems.Count(s => s.Met);
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        html.Append("<title>").Append(Encode(title)).Append("</title>\n<style>\n").Append(Style).Append("\n</style>\n</head>\n<body>\n<main>\n");
        html.Append("<h1>").Append(Encode(title)).Append("</h1>\n");
        html.Append($"<p class=\"meta\">Generated <span data-field=\"generated\">{ReportFormat.Time(report.GeneratedAt)}</span> · ")
            .Append($"<span class=\"pill {(report.Met ? "pass" : "fail")}\" data-field=\"met-count\">{met} of {report.Systems.Count} system{(report.Systems.Count == 1 ? "" : "s")} meet the plan</span></p>\n");

        if (report.PlanDeviations.Count > 0)
        {
            html.Append("<div class=\"plan-deviations\"><h3>Plan deviations</h3><ul class=\"deviations\">");
            foreach (var deviation in report.PlanDeviations)
            {
                html.Append("<li>").Append(Encode(deviation)).Append("</li>");
            }

            html.Append("</ul></div>\n");
        }

        Summary(html, report);
        foreach (var system in report.Systems)
        {
            System(html, system);
        }

        html.Append("</main>\n</body>\n</html>\n");
        return html.ToString();
    }

    private static void Summary(StringBuilder html, RecoveryReport report)
    {
        html.Append("<section class=\"summary\"><h3>Systems</h3><table><thead><tr><th>System</th><th class=\"num\">Tier</th><th class=\"num\">Target RPO</th><th class=\"num\">Achieved RPO</th><th class=\"num\">Target RTO</th><th class=\"num\">Achieved RTO</th><th>Last successful drill</th><th>Status</th></tr></thead><tbody>\n");
        foreach (var system in report.Systems)
        {
            html.Append($"<tr data-system=\"{Encode(system.Name)}\"><td><a href=\"#system-{Encode(Anchor(system.Name))}\">{Encode(system.Name)}</a></td><td class=\"num\">{system.Tier}</td>")
                .Append($"<td class=\"num\">{ReportFormat.Duration(system.TargetRpo)}</td><td class=\"num\">{ReportFormat.Duration(system.AchievedRpo)}</td>")
                .Append($"<td class=\"num\">{ReportFormat.Duration(system.TargetRto)}</td><td class=\"num\">{ReportFormat.Duration(system.AchievedRto)}</td>")
                .Append($"<td>{(system.LastSuccessfulDrill is { } drill ? ReportFormat.Time(drill.StartedAt) : "never")}</td>")
                .Append($"<td>{StatusPill(system)}</td></tr>\n");
        }

        html.Append("</tbody></table></section>\n");
    }

    private static void System(StringBuilder html, RecoverySystemReport system)
    {
        html.Append($"<section class=\"system\" id=\"system-{Encode(Anchor(system.Name))}\" data-system=\"{Encode(system.Name)}\">\n");
        html.Append($"<h2>{Encode(system.Name)} <span class=\"tier\">tier {system.Tier}</span> {StatusPill(system)}</h2>\n");
        if (!string.IsNullOrWhiteSpace(system.Description))
        {
            html.Append("<p class=\"description\">").Append(Encode(system.Description)).Append("</p>\n");
        }

        html.Append("<table class=\"objectives\"><thead><tr><th>Objective</th><th class=\"num\">Target</th><th class=\"num\">Achieved</th><th>Status</th></tr></thead><tbody>\n");
        Objective(html, "RPO", "rpo", system.TargetRpo, system.AchievedRpo);
        Objective(html, "RTO", "rto", system.TargetRto, system.AchievedRto);
        html.Append("</tbody></table>\n");

        html.Append("<table class=\"facts\"><tbody>\n");
        html.Append($"<tr><th>Last drill</th><td data-field=\"last-drill\">{Drill(system.LastDrill)}</td></tr>\n");
        html.Append($"<tr><th>Last successful drill</th><td data-field=\"last-successful-drill\">{Drill(system.LastSuccessfulDrill)}</td></tr>\n");
        html.Append($"<tr><th>RTO trend</th><td data-field=\"trend\">{ReportFormat.Trend(system.RtoTrend)}</td></tr>\n");
        var copies = system.Copies is null ? "none" : system.Copies.Satisfied ? "pass" : "fail";
        html.Append($"<tr><th>Copies (3-2-1-1-0)</th><td data-field=\"copies\"><span class=\"pill {copies}\">{(system.Copies is null ? "not validated" : system.Copies.Satisfied ? "satisfied" : "not satisfied")}</span> {Encode(ReportFormat.Copies(system.Copies))}</td></tr>\n");
        html.Append("</tbody></table>\n");

        html.Append("<h3>Deviations</h3>\n");
        if (system.Deviations.Count == 0)
        {
            html.Append("<p class=\"ok\">None: the system meets its plan.</p>\n");
        }
        else
        {
            html.Append("<ul class=\"deviations\" data-field=\"deviations\">");
            foreach (var deviation in system.Deviations)
            {
                html.Append("<li>").Append(Encode(deviation)).Append("</li>");
            }

            html.Append("</ul>\n");
        }

        var warned = ReportFormat.DrillsWithWarnings(system);
        if (warned.Count > 0)
        {
            html.Append("<h3>Drill warnings</h3>\n<p class=\"description\">Steps that passed in the drill but warned of what a recovery would meet:</p>\n<ul class=\"warnings\" data-field=\"warnings\">");
            foreach (var drill in warned)
            {
                foreach (var warning in drill.Warnings)
                {
                    html.Append("<li>").Append(Encode($"{ReportFormat.Time(drill.StartedAt)}, step '{warning.Step}': {warning.Message}")).Append("</li>");
                }
            }

            html.Append("</ul>\n");
        }

        if (system.Drills.Count > 0)
        {
            html.Append("<h3>RTO per drill</h3>\n");
            RtoChart.Render(html, system);
            html.Append("\n<p class=\"legend\"><span style=\"background:#2da44e\"></span>within target<span style=\"background:#d4a72c\"></span>over target<span style=\"background:#cf222e\"></span>failed (time up to the failing step)<span style=\"background:none;border-top:2px dashed #cf222e;height:0;width:14px;border-radius:0\"></span>target RTO</p>\n");
            html.Append("<h3>Recent drills</h3>\n<table class=\"drills\"><thead><tr><th>Started</th><th>Host</th><th>Outcome</th><th class=\"num\">RTO</th><th class=\"num\">RPO</th></tr></thead><tbody>\n");
            foreach (var drill in system.Drills.Reverse())
            {
                html.Append($"<tr data-drill=\"{drill.StartedAt.ToUniversalTime():O}\"><td>{ReportFormat.Time(drill.StartedAt)}</td><td>{Encode(drill.Host)}</td>")
                    .Append($"<td class=\"{(!drill.Succeeded ? "fail" : drill.Warnings.Count > 0 ? "warn" : "pass")}\" data-field=\"outcome\">{Encode(Outcome(drill))}</td>")
                    .Append($"<td class=\"num {(drill.MetRto ? "" : "fail")}\" data-field=\"rto\">{ReportFormat.Duration(drill.AchievedRto)}</td>")
                    .Append($"<td class=\"num {(drill.MetRpo ? "" : "fail")}\" data-field=\"rpo\">{ReportFormat.Duration(drill.AchievedRpo)}</td></tr>\n");
            }

            html.Append("</tbody></table>\n");
        }

        html.Append("</section>\n");
    }

    private static void Objective(StringBuilder html, string label, string field, TimeSpan? target, TimeSpan? achieved)
    {
        var (css, status) = (target, achieved) switch
        {
            (_, null) => ("none", "not measured"),
            (null, _) => ("none", "no target"),
            ({ } t, { } a) when a <= t => ("pass", "within target"),
            _ => ("fail", "over target"),
        };
        html.Append($"<tr><th>{label}</th><td class=\"num\" data-field=\"target-{field}\">{ReportFormat.Duration(target)}</td><td class=\"num\" data-field=\"achieved-{field}\">{ReportFormat.Duration(achieved)}</td><td class=\"{css}\">{status}</td></tr>\n");
    }

    private static string StatusPill(RecoverySystemReport system) => system.Met
        ? "<span class=\"pill pass\">meets plan</span>"
        : $"<span class=\"pill fail\">{system.Deviations.Count} deviation{(system.Deviations.Count == 1 ? "" : "s")}</span>";

    private static string Drill(RecoveryDrillSummary? drill) => drill is null
        ? "never"
        : Encode($"{ReportFormat.Time(drill.StartedAt)} on {drill.Host}: {Outcome(drill)}, RTO {ReportFormat.Duration(drill.AchievedRto)}, RPO {ReportFormat.Duration(drill.AchievedRpo)}");

    private static string Outcome(RecoveryDrillSummary drill) =>
        (drill.Succeeded ? "succeeded" : drill.FailedStep is { } step ? $"failed at '{step}'" : "failed") + ReportFormat.Notes(drill);

    /// <summary>A fragment identifier from a system name (letters, digits and dashes).</summary>
    private static string Anchor(string name) => string.Concat(name.Select(c => char.IsAsciiLetterOrDigit(c) ? char.ToLowerInvariant(c) : '-'));

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
