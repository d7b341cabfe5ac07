using System.Globalization;
using System.Net;
using System.Text;

namespace Backup.DisasterRecovery;

/// <summary>
/// An inline SVG bar chart of the achieved RTO per drill, oldest left, with the target RTO as a dashed line: green
/// within the target, amber over it, red for a failed drill (its time is up to the failing step).
/// </summary>
internal static class RtoChart
{
    private const double Width = 640;
    private const double Height = 240;
    private const double Left = 64;
    private const double Right = 16;
    private const double Top = 24;
    private const double Bottom = 36;

    // Axis steps people read at a glance; the first giving at most five gridlines is used.
    private static readonly TimeSpan[] Steps =
    [
        TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(30),
        TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(30),
        TimeSpan.FromHours(1), TimeSpan.FromHours(2), TimeSpan.FromHours(3), TimeSpan.FromHours(6), TimeSpan.FromHours(12), TimeSpan.FromDays(1), TimeSpan.FromDays(2), TimeSpan.FromDays(7),
    ];

    public static void Render(StringBuilder html, RecoverySystemReport system)
    {
        var drills = system.Drills;
        var largest = drills.Select(d => d.AchievedRto).Append(system.TargetRto ?? TimeSpan.Zero).Max();
        var step = Steps.FirstOrDefault(s => largest.Ticks / (double)s.Ticks <= 4.5, Steps[^1]);
        var top = TimeSpan.FromTicks(step.Ticks * Math.Max(1, (long)Math.Ceiling((largest.Ticks * 1.1) / step.Ticks)));
        var plotWidth = Width - Left - Right;
        var plotHeight = Height - Top - Bottom;
        double Y(TimeSpan value) => Top + plotHeight - (value.Ticks / (double)top.Ticks * plotHeight);

        html.Append(CultureInfo.InvariantCulture, $"<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {Width} {Height}\" width=\"{Width}\" height=\"{Height}\" role=\"img\" aria-label=\"Achieved RTO per drill of {Encode(system.Name)}\">");
        for (var tick = TimeSpan.Zero; tick <= top; tick += step)
        {
            var y = Y(tick);
            html.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{y:0.#}\" y2=\"{y:0.#}\" stroke=\"#d0d7de\" stroke-width=\"1\"/>");
            html.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 6}\" y=\"{y + 4:0.#}\" text-anchor=\"end\" font-size=\"11\" fill=\"#57606a\">{ReportFormat.Duration(tick)}</text>");
        }

        var slot = plotWidth / Math.Max(1, drills.Count);
        var barWidth = Math.Min(40, slot * 0.6);
        for (var i = 0; i < drills.Count; i++)
        {
            var drill = drills[i];
            var x = Left + (i * slot) + ((slot - barWidth) / 2);
            var y = Y(drill.AchievedRto);
            var colour = !drill.Succeeded ? "#cf222e" : drill.MetRto && (system.TargetRto is not { } target || drill.AchievedRto <= target) ? "#2da44e" : "#d4a72c";
            var label = $"{ReportFormat.Time(drill.StartedAt)}: {(drill.Succeeded ? "succeeded" : "failed")}, RTO {ReportFormat.Duration(drill.AchievedRto)}";
            html.Append(CultureInfo.InvariantCulture, $"<rect class=\"bar\" data-rto=\"{ReportFormat.Duration(drill.AchievedRto)}\" x=\"{x:0.#}\" y=\"{y:0.#}\" width=\"{barWidth:0.#}\" height=\"{Math.Max(1, Top + plotHeight - y):0.#}\" fill=\"{colour}\" rx=\"2\"><title>{Encode(label)}</title></rect>");
            html.Append(CultureInfo.InvariantCulture, $"<text x=\"{x + (barWidth / 2):0.#}\" y=\"{y - 4:0.#}\" text-anchor=\"middle\" font-size=\"11\" fill=\"#24292f\">{ReportFormat.Duration(drill.AchievedRto)}</text>");
            html.Append(CultureInfo.InvariantCulture, $"<text x=\"{x + (barWidth / 2):0.#}\" y=\"{Height - Bottom + 16:0.#}\" text-anchor=\"middle\" font-size=\"10\" fill=\"#57606a\">{drill.StartedAt.ToUniversalTime().ToString("MM-dd", CultureInfo.InvariantCulture)}</text>");
        }

        if (system.TargetRto is { } rto)
        {
            var y = Y(rto);
            html.Append(CultureInfo.InvariantCulture, $"<line class=\"target\" x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{y:0.#}\" y2=\"{y:0.#}\" stroke=\"#cf222e\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>");
            html.Append(CultureInfo.InvariantCulture, $"<text x=\"{Width - Right}\" y=\"{y - 5:0.#}\" text-anchor=\"end\" font-size=\"11\" fill=\"#cf222e\">target RTO {ReportFormat.Duration(rto)}</text>");
        }

        html.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" x2=\"{Left}\" y1=\"{Top}\" y2=\"{Top + plotHeight}\" stroke=\"#8c959f\" stroke-width=\"1\"/>");
        html.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left + (plotWidth / 2):0.#}\" y=\"{Height - 4}\" text-anchor=\"middle\" font-size=\"11\" fill=\"#57606a\">drill (UTC date), oldest first</text>");
        html.Append("</svg>");
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
