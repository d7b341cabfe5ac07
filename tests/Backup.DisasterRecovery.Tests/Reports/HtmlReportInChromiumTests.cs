using System.Text.Json;
using System.Text.RegularExpressions;

namespace Backup.DisasterRecovery.Tests.Reports;

/// <summary>The HTML report as a browser shows it: headless Chromium renders it, and the page's figures match the JSON.</summary>
public sealed partial class HtmlReportInChromiumTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "dr-html-" + Guid.NewGuid().ToString("N"));

    public HtmlReportInChromiumTests() => Directory.CreateDirectory(_directory);

    public void Dispose()
    {
        // Keep the page and its screenshot for a person to look at when asked to.
        if (Environment.GetEnvironmentVariable("BACKUP_TEST_KEEP_REPORT") is not { Length: > 0 })
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [SkippableFact]
    public async Task Chromium_renders_the_report_with_its_chart_and_the_figures_in_the_page_match_the_json()
    {
        var browser = Chromium.Find();
        Skip.If(browser is null, Chromium.SkipReason);
        await using var fixture = await ReportFixture.CreateAsync(ReportFixture.Day1.AddDays(2).AddHours(1));
        var report = await fixture.BuildAsync();
        var page = Path.Combine(_directory, "report.html");
        await File.WriteAllTextAsync(page, report.ToHtml());
        using var json = JsonDocument.Parse(report.ToJson());

        // The DOM after Chromium parsed and laid out the page: every system's figures are those of the JSON.
        var dom = await Chromium.RunAsync(browser!, page, Path.Combine(_directory, "profile-dom"), ["--dump-dom"]);
        var systems = json.RootElement.GetProperty("systems").EnumerateArray().ToList();
        systems.Should().HaveCount(2);
        foreach (var system in systems)
        {
            var name = system.GetProperty("name").GetString()!;
            var section = Section(dom, name);
            foreach (var (field, property) in new[] { ("target-rto", "targetRto"), ("achieved-rto", "achievedRto"), ("target-rpo", "targetRpo"), ("achieved-rpo", "achievedRpo") })
            {
                Field(section, field).Should().Be(Duration(system, property), $"{name}'s {field} in the page is the JSON's {property}");
            }

            var drills = system.GetProperty("drills").EnumerateArray().Reverse().ToList();
            Fields(section, "rto").Should().Equal(drills.Select(d => Duration(d, "achievedRto")), $"{name}'s drill table lists the JSON's drills, newest first");
            Fields(section, "rpo").Should().Equal(drills.Select(d => Duration(d, "achievedRpo")));
            BarPattern().Matches(section).Should().HaveCount(drills.Count, $"{name}'s chart has one bar per drill");
            section.Should().Contain($"target RTO {Duration(system, "targetRto")}");
            Regex.Count(section, "<li>").Should().Be(system.GetProperty("deviations").GetArrayLength());
        }

        // A real screenshot: the page's size, mostly white background, and the chart's green, amber and red bars drawn.
        var screenshot = Path.Combine(_directory, "report.png");
        await Chromium.RunAsync(browser!, page, Path.Combine(_directory, "profile-shot"), [$"--screenshot={screenshot}", "--window-size=1000,3000"]);
        var image = Png.Read(await File.ReadAllBytesAsync(screenshot));
        image.Width.Should().Be(1000);
        image.Height.Should().Be(3000);
        Count(image, (0x2d, 0xa4, 0x4e)).Should().BeGreaterThan(500, "the successful drills within target are green bars");
        Count(image, (0xd4, 0xa7, 0x2c)).Should().BeGreaterThan(500, "wiki's drill over its target RTO is an amber bar");
        Count(image, (0xcf, 0x22, 0x2e)).Should().BeGreaterThan(500, "shop's failed drill is a red bar");
    }

    private static string Duration(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String
            ? ReportFormat.Duration(TimeSpan.Parse(value.GetString()!, System.Globalization.CultureInfo.InvariantCulture))
            : "–";

    private static string Section(string dom, string system)
    {
        var start = dom.IndexOf($"<section class=\"system\" id=\"system-{system}\" data-system=\"{system}\">", StringComparison.Ordinal);
        start.Should().BeGreaterThanOrEqualTo(0, $"the page has a section for {system}");
        var end = dom.IndexOf("</section>", start, StringComparison.Ordinal);
        return dom[start..end];
    }

    private static string Field(string section, string field) => Fields(section, field).Should().ContainSingle().Subject;

    private static List<string> Fields(string section, string field) =>
        [.. Regex.Matches(section, $"data-field=\"{field}\">([^<]*)<").Select(m => System.Net.WebUtility.HtmlDecode(m.Groups[1].Value))];

    private static int Count(Png image, (int R, int G, int B) colour)
    {
        var count = 0;
        for (var y = 0; y < image.Height; y++)
        {
            for (var x = 0; x < image.Width; x++)
            {
                var (r, g, b) = image[x, y];
                if (Math.Abs(r - colour.R) <= 3 && Math.Abs(g - colour.G) <= 3 && Math.Abs(b - colour.B) <= 3)
                {
                    count++;
                }
            }
        }

        return count;
    }

    [GeneratedRegex("<rect class=\"bar\"")]
    private static partial Regex BarPattern();
}
