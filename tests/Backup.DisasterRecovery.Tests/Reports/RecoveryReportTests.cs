using System.Text.Json;
using Backup.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection;

namespace Backup.DisasterRecovery.Tests.Reports;

public class RecoveryReportTests
{
    [Fact]
    public async Task Report_compares_each_systems_targets_with_its_stored_drills_and_lists_every_deviation()
    {
        await using var fixture = await ReportFixture.CreateAsync(ReportFixture.Day1.AddDays(2).AddHours(1));

        var report = await fixture.BuildAsync();

        report.Plan.Should().Be("acme-dr");
        report.Systems.Select(s => s.Name).Should().Equal("shop", "wiki");
        var shop = report.Systems[0];
        shop.Tier.Should().Be(1);
        shop.TargetRto.Should().Be(TimeSpan.FromMinutes(30));
        shop.AchievedRto.Should().Be(TimeSpan.FromMinutes(3), "the achieved figures are the last successful drill's");
        shop.AchievedRpo.Should().Be(TimeSpan.FromHours(2));
        shop.LastSuccessfulDrill!.StartedAt.Should().Be(ReportFixture.Day1.AddDays(1));
        shop.LastDrill!.Succeeded.Should().BeFalse();
        shop.LastDrill.FailedStep.Should().Be("Switch DNS");
        shop.LastDrill.Error.Should().Be("HTTP 503 from the DNS API");
        shop.Drills.Select(d => d.AchievedRto).Should().Equal(TimeSpan.FromSeconds(150), TimeSpan.FromMinutes(3), TimeSpan.FromMinutes(1));
        shop.RtoTrend.Should().Be(RecoveryTrend.Worsening, "3m is 20% slower than the 2m 30s before it");
        shop.Copies!.Satisfied.Should().BeTrue();
        shop.Deviations.Should().ContainSingle().Which.Should().Be("The last drill (2026-11-30 03:00 UTC) failed at step 'Switch DNS': HTTP 503 from the DNS API");
        shop.Met.Should().BeFalse();

        var wiki = report.Systems[1];
        wiki.AchievedRto.Should().Be(TimeSpan.FromMinutes(12));
        wiki.RtoTrend.Should().Be(RecoveryTrend.Unknown);
        wiki.Deviations.Should().Equal(
            "Achieved RTO 12m exceeds the target RTO of 10m.",
            "3-2-1-1-0: 1 copy, 3 needed.",
            "3-2-1-1-0: no immutable copy.",
            "rpo-schedule: The RPO of 1h is shorter than job 'wiki-files''s schedule allows (a gap of 1d).");
        report.PlanDeviations.Should().Equal("Warning (plan): Scratch:Directory is not set; drills use the system's temporary directory.");
        report.Met.Should().BeFalse();
    }

    [Fact]
    public async Task Drills_older_than_the_policy_allow_an_RPO_over_target_and_a_system_never_drilled_are_deviations()
    {
        await using var fixture = await ReportFixture.CreateAsync(ReportFixture.Day1.AddDays(10));
        fixture.Plan.Systems["shop"].Rpo = TimeSpan.FromMinutes(90);
        var never = new RecoverySystem { Tier = 3, Rpo = TimeSpan.FromHours(1), Rto = TimeSpan.FromHours(1) };
        never.Jobs.Add("shop-db");
        fixture.Plan.Systems["billing"] = never;

        var report = await fixture.BuildAsync();

        var shop = report.Systems.Single(s => s.Name == "shop");
        shop.Deviations.Should().Contain("The last successful drill is 9d old, over the drill policy's maximum age of 7d.");
        shop.Deviations.Should().Contain("Achieved RPO 2h exceeds the target RPO of 1h 30m.");
        report.Systems.Single(s => s.Name == "billing").Deviations.Should().Equal("No drill recorded: the recovery has never been measured.");
    }

    [Fact]
    public async Task A_repository_that_cannot_be_opened_is_a_deviation_of_its_systems_not_an_exception()
    {
        await using var fixture = await ReportFixture.CreateAsync(ReportFixture.Day1, storeDrills: false);
        var archive = new RecoverySystem { Tier = 2, Rpo = TimeSpan.FromDays(1), Rto = TimeSpan.FromHours(4) };
        archive.Jobs.Add("old-files");
        fixture.Plan.Systems["archive"] = archive;

        var report = await fixture.BuildAsync();

        var deviations = report.Systems.Single(s => s.Name == "archive").Deviations;
        deviations.Should().HaveCount(2);
        deviations[0].Should().StartWith("The drill results in repository 'missing' cannot be read: ");
        deviations[1].Should().Be("No drill recorded: the recovery has never been measured.");
    }

    [Fact]
    public async Task Json_holds_the_same_figures_as_the_model()
    {
        await using var fixture = await ReportFixture.CreateAsync(ReportFixture.Day1.AddDays(2).AddHours(1));
        var report = await fixture.BuildAsync();

        using var json = JsonDocument.Parse(report.ToJson());

        var root = json.RootElement;
        root.GetProperty("plan").GetString().Should().Be("acme-dr");
        root.GetProperty("met").GetBoolean().Should().BeFalse();
        var shop = root.GetProperty("systems")[0];
        shop.GetProperty("name").GetString().Should().Be("shop");
        shop.GetProperty("targetRto").GetString().Should().Be("00:30:00");
        shop.GetProperty("achievedRto").GetString().Should().Be("00:03:00");
        shop.GetProperty("achievedRpo").GetString().Should().Be("02:00:00");
        shop.GetProperty("rtoTrend").GetString().Should().Be("Worsening");
        shop.GetProperty("lastDrill").GetProperty("failedStep").GetString().Should().Be("Switch DNS");
        shop.GetProperty("drills").GetArrayLength().Should().Be(3);
        shop.GetProperty("copies").GetProperty("satisfied").GetBoolean().Should().BeTrue();
        root.GetProperty("systems")[1].GetProperty("deviations").GetArrayLength().Should().Be(4);
    }

    [Fact]
    public async Task Markdown_has_a_summary_row_and_a_section_per_system_with_its_drills()
    {
        await using var fixture = await ReportFixture.CreateAsync(ReportFixture.Day1.AddDays(2).AddHours(1));
        var report = await fixture.BuildAsync();

        var markdown = report.ToMarkdown();

        markdown.Should().StartWith("# Disaster-recovery report: acme-dr\n\nGenerated 2026-11-30 04:00 UTC. 0 of 2 systems meet the plan.");
        markdown.Should().Contain("| shop | 1 | 6h | 2h | 30m | 3m | 2026-11-29 03:00 UTC | worsening | **1 deviation** |");
        markdown.Should().Contain("| wiki | 2 | 1h | 30m | 10m | 12m | 2026-11-29 03:00 UTC | not enough drills | **4 deviations** |");
        markdown.Should().Contain("## shop (tier 1)\n\nThe web shop: orders database and uploads.");
        markdown.Should().Contain("- Copies (3-2-1-1-0): 3 copies, 2 kinds of storage (disk, object-storage), 1 off site, 1 immutable, 0 verification errors");
        markdown.Should().Contain("| 2026-11-30 03:00 UTC | drill-host | failed at 'Switch DNS' | 1m | – |");
        markdown.Should().Contain("- 3-2-1-1-0: no immutable copy.");
    }

    [Fact]
    public async Task Html_is_one_self_contained_page_with_a_chart_per_system_and_encoded_text()
    {
        await using var fixture = await ReportFixture.CreateAsync(ReportFixture.Day1.AddDays(2).AddHours(1));
        fixture.Plan.Systems["shop"].Description = "Orders <db> & uploads";
        var report = await fixture.BuildAsync();

        var html = report.ToHtml();

        html.Should().StartWith("<!DOCTYPE html>");
        html.Should().NotContain("<script").And.NotContain("src=").And.NotContain("<link").And.NotContain("url(");
        html.Should().Contain("Orders &lt;db&gt; &amp; uploads");
        html.Should().Contain("<svg class=\"chart\"");
        System.Text.RegularExpressions.Regex.Count(html, "<rect class=\"bar\"").Should().Be(4, "one bar per stored drill");
        html.Should().Contain("target RTO 30m").And.Contain("target RTO 10m");
        html.Should().Contain("<td class=\"num\" data-field=\"achieved-rto\">12m</td><td class=\"fail\">over target</td>");
    }

    /// <summary>
    /// A step that warned passed (the drill restored into its scratch database), but the warning says what a recovery
    /// would meet, a role the recovery server lacks: the auditor reading the report sees it, in every format.
    /// </summary>
    [Fact]
    public async Task Warnings_of_the_last_drill_are_shown_in_every_format_without_being_deviations()
    {
        await using var fixture = await ReportFixture.CreateAsync(ReportFixture.Day1.AddDays(2).AddHours(1));
        const string warning = "The server 'Host=standby' lacks role \"shop<reader>\" that the snapshot's grants name; run CREATE ROLE there.";
        await StoreAsync(fixture, ReportFixture.WithWarning(ReportFixture.Drill("shop", ReportFixture.Day1.AddDays(2).AddMinutes(30), TimeSpan.FromMinutes(3), TimeSpan.FromHours(1), fixture.Plan.Systems["shop"]), warning));

        var report = await fixture.BuildAsync();

        var shop = report.Systems[0];
        shop.LastDrill!.Succeeded.Should().BeTrue();
        shop.LastDrill.Warnings.Should().BeEquivalentTo([new RecoveryDrillWarning { Step = "Restore", Message = warning }]);
        shop.Drills.Select(d => d.Warnings.Count).Should().Equal(0, 0, 0, 1);
        shop.Deviations.Should().BeEmpty("the report's own validation asks the recovery server (rule roles); a drill's warning is its dated evidence");

        var markdown = report.ToMarkdown();
        markdown.Should().Contain("- Last drill: 2026-11-30 03:30 UTC on drill-host, succeeded, 1 warning, RTO 3m, RPO 1h\n");
        markdown.Should().Contain("### Drill warnings\n\nSteps that passed in the drill but warned of what a recovery would meet:\n\n- 2026-11-30 03:30 UTC, step 'Restore': " +
            "The server 'Host=standby' lacks role \"shop\\<reader\\>\" that the snapshot's grants name; run CREATE ROLE there.\n", "< and > are escaped, so no renderer takes them for a tag");
        markdown.Should().Contain("| 2026-11-30 03:30 UTC | drill-host | succeeded, 1 warning | 3m | 1h |");

        var html = report.ToHtml();
        html.Should().Contain("<ul class=\"warnings\" data-field=\"warnings\"><li>2026-11-30 03:30 UTC, step &#39;Restore&#39;: The server &#39;Host=standby&#39; lacks role &quot;shop&lt;reader&gt;&quot;");
        html.Should().Contain("<td class=\"warn\" data-field=\"outcome\">succeeded, 1 warning</td>");

        using var json = JsonDocument.Parse(report.ToJson());
        var stored = json.RootElement.GetProperty("systems")[0].GetProperty("lastDrill").GetProperty("warnings");
        stored.GetArrayLength().Should().Be(1);
        stored[0].GetProperty("step").GetString().Should().Be("Restore");
        stored[0].GetProperty("message").GetString().Should().Be(warning);
    }

    /// <summary>
    /// A drill's host name, its failed step's name and error, and its warnings are text from elsewhere (a hostname, an
    /// HTTP body, a server's message): in Markdown a pipe split the table row, a newline ended it, and the rest was markup.
    /// </summary>
    [Fact]
    public async Task Markdown_escapes_host_names_step_errors_and_warnings_so_they_stay_text_in_their_cell_and_line()
    {
        await using var fixture = await ReportFixture.CreateAsync(ReportFixture.Day1.AddDays(2).AddHours(1));
        const string hostile = "evil|host\r\n# owned <img src=x onerror=alert(1)> *bold* `code` [link](https://x.example) _u_ &amp; ~~s~~";
        const string escaped = @"evil\|host \# owned \<img src=x onerror=alert(1)\> \*bold\* \`code\` \[link\](https://x.example) \_u\_ \&amp; \~\~s\~\~";
        var drill = ReportFixture.Drill("shop", ReportFixture.Day1.AddDays(2).AddMinutes(30), TimeSpan.FromMinutes(3), TimeSpan.FromHours(1), fixture.Plan.Systems["shop"], failedStep: "Switch | DNS");
        drill = ReportFixture.WithWarning(drill with { Host = hostile }, hostile);
        drill = drill with { Steps = [drill.Steps[0], drill.Steps[1] with { Error = hostile }] };
        await StoreAsync(fixture, drill);

        var markdown = (await fixture.BuildAsync()).ToMarkdown();

        markdown.Should().Contain($"| 2026-11-30 03:30 UTC | {escaped} | failed at 'Switch \\| DNS', 1 warning | 3m | 1h |\n", "the row keeps its five cells");
        markdown.Should().Contain($"- Last drill: 2026-11-30 03:30 UTC on {escaped}, failed at 'Switch \\| DNS', 1 warning, RTO 3m, RPO 1h\n");
        markdown.Should().Contain($"- The last drill (2026-11-30 03:30 UTC) failed at step 'Switch \\| DNS': {escaped}\n");
        markdown.Should().Contain($"- 2026-11-30 03:30 UTC, step 'Restore': {escaped}\n");
        markdown.Should().NotContain("\n# owned").And.NotContain(" <img");
    }

    [Fact]
    public async Task A_report_without_drill_warnings_has_no_warnings_section()
    {
        await using var fixture = await ReportFixture.CreateAsync(ReportFixture.Day1.AddDays(2).AddHours(1));

        var report = await fixture.BuildAsync();

        report.ToMarkdown().Should().NotContain("Drill warnings").And.NotContain("warning,");
        report.ToHtml().Should().NotContain("Drill warnings").And.NotContain("data-field=\"warnings\"");
    }

    [Theory]
    [InlineData(new double[] { }, RecoveryTrend.Unknown)]
    [InlineData(new double[] { 100 }, RecoveryTrend.Unknown)]
    [InlineData(new double[] { 100, 100, 105 }, RecoveryTrend.Steady)]
    [InlineData(new double[] { 100, 300, 100, 85 }, RecoveryTrend.Improving)]
    [InlineData(new double[] { 100, 120 }, RecoveryTrend.Worsening)]
    public void Trend_compares_the_newest_successful_drill_with_the_median_of_the_earlier_ones(double[] seconds, RecoveryTrend expected)
    {
        var drills = seconds.Select((s, i) => new RecoveryDrillSummary
        {
            StartedAt = ReportFixture.Day1.AddDays(i),
            Host = "h",
            Succeeded = true,
            AchievedRto = TimeSpan.FromSeconds(s),
            MetRto = true,
            MetRpo = true,
        }).ToList();

        RecoveryReportBuilder.Trend(drills).Should().Be(expected);
    }

    [Theory]
    [InlineData(2.5, "2.5s")]
    [InlineData(45, "45s")]
    [InlineData(150, "2m 30s")]
    [InlineData(1800, "30m")]
    [InlineData(5400, "1h 30m")]
    [InlineData(86400 * 2 + 3600 * 3, "2d 3h")]
    public void Durations_read_as_people_write_them(double seconds, string expected) =>
        ReportFormat.Duration(TimeSpan.FromSeconds(seconds)).Should().Be(expected);

    [Fact]
    public async Task The_builder_is_registered_with_the_disaster_recovery_services()
    {
        await using var services = RecoveryPlanServices.Create(new RecoveryPlan(), builder => builder.Services.AddLogging());
        services.GetService(typeof(RecoveryReportBuilder)).Should().NotBeNull();
        services.GetService(typeof(IBackupRepositoryProvider)).Should().NotBeNull();
    }

    /// <summary>
    /// A drill creates no device nodes; one that skipped some passed, and the report says how many it skipped, stored
    /// with the drill and shown in every format, without a deviation.
    /// </summary>
    [Fact]
    public async Task Device_nodes_a_drill_skipped_are_counted_in_every_format_without_being_a_failure()
    {
        await using var fixture = await ReportFixture.CreateAsync(ReportFixture.Day1.AddDays(2).AddHours(1));
        var drill = ReportFixture.Drill("shop", ReportFixture.Day1.AddDays(2).AddMinutes(30), TimeSpan.FromMinutes(3), TimeSpan.FromHours(1), fixture.Plan.Systems["shop"]);
        await StoreAsync(fixture, drill with { Steps = [drill.Steps[0] with { SkippedDeviceNodes = 2 }, .. drill.Steps.Skip(1)] });

        var report = await fixture.BuildAsync();

        var shop = report.Systems[0];
        shop.LastDrill!.Succeeded.Should().BeTrue();
        shop.LastDrill.SkippedDeviceNodes.Should().Be(2, "the stored drill keeps the count");
        shop.Deviations.Should().BeEmpty();
        report.ToMarkdown().Should().Contain("| 2026-11-30 03:30 UTC | drill-host | succeeded, 2 device nodes skipped | 3m | 1h |");
        report.ToHtml().Should().Contain("<td class=\"pass\" data-field=\"outcome\">succeeded, 2 device nodes skipped</td>");
        using var json = JsonDocument.Parse(report.ToJson());
        json.RootElement.GetProperty("systems")[0].GetProperty("lastDrill").GetProperty("skippedDeviceNodes").GetInt32().Should().Be(2);
    }

    private static async Task StoreAsync(ReportFixture fixture, RecoveryDrillResult drill)
    {
        var repository = await fixture.Services.GetRequiredService<IBackupRepositoryProvider>().GetAsync("main");
        await RecoveryDrillRecords.SaveAsync(repository, drill);
    }
}
