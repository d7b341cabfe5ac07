using System.Text.Json;
using Backup.Core;
using Backup.Core.Crypto;
using Backup.Core.Storage;
using Backup.DisasterRecovery;

namespace Backup.Cli.Tests;

/// <summary><c>backup dr report</c> on a plan over a real local repository holding stored drill results.</summary>
public sealed class DrReportCliTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 11, 30, 3, 0, 0, TimeSpan.Zero);

    private readonly CliRunner _cli = new();

    public DrReportCliTests()
    {
        Directory.CreateDirectory(_cli.PathOf("data"));
        File.WriteAllText(_cli.PathOf("data/orders.csv"), "1,2,3\n");
    }

    public void Dispose() => _cli.Dispose();

    private const string Plan = """
        name: files-plan
        backup:
          repositories:
            local: { location: repo, passwordEnvironmentVariable: BACKUP_PASSWORD }
            vault: { location: vault, passwordEnvironmentVariable: BACKUP_PASSWORD, createIfMissing: true, appendOnly: true }
          jobs:
            files: { repository: local, paths: [data], schedule: "*/15 * * * *", copyTo: [vault] }
        systems:
          files:
            rpo: 1h
            rto: 30m
            jobs: [files]
            copies:
              - { repository: vault, offSite: true, media: tape }
            steps:
              - name: Restore the files
                restore: { job: files, directory: /srv/files }
        """;

    [Fact]
    public async Task Report_shows_what_the_stored_drills_measured_in_each_format_and_exits_4_on_a_deviation()
    {
        await _cli.InitAsync();
        var plan = _cli.PathOf("plan.yaml");
        await File.WriteAllTextAsync(plan, Plan);
        var backup = await _cli.RunAsync("dr", "backup", plan);
        backup.ExitCode.Should().Be(0, "a job with no snapshot would be a deviation of its own: " + backup.Stderr);
        await StoreAsync(Drill(Start, succeeded: true));

        var json = await _cli.RunAsync("dr", "report", plan, "--format", "json");

        json.ExitCode.Should().Be(0, json.Stderr);
        using (var document = JsonDocument.Parse(json.Stdout))
        {
            var files = document.RootElement.GetProperty("systems")[0];
            files.GetProperty("name").GetString().Should().Be("files");
            files.GetProperty("achievedRto").GetString().Should().Be("00:02:00");
            files.GetProperty("achievedRpo").GetString().Should().Be("00:20:00");
            files.GetProperty("copies").GetProperty("satisfied").GetBoolean().Should().BeTrue();
            files.GetProperty("deviations").GetArrayLength().Should().Be(0);
        }

        await StoreAsync(Drill(Start.AddDays(1), succeeded: false));
        var html = await _cli.RunAsync("dr", "report", plan, "--format", "html", "-o", _cli.PathOf("report.html"));
        var markdown = await _cli.RunAsync("dr", "report", plan);

        html.ExitCode.Should().Be(4, html.Stderr);
        (html.Stdout + html.Stderr).Should().Contain("0 of 1 system(s) meet the plan");
        var page = await File.ReadAllTextAsync(_cli.PathOf("report.html"));
        page.Should().StartWith("<!DOCTYPE html>").And.Contain("target RTO 30m").And.Contain("data-field=\"achieved-rto\">2m<");
        markdown.ExitCode.Should().Be(4);
        markdown.Stdout.Should().Contain("| files | 1 | 1h | 20m | 30m | 2m | 2026-11-30 03:00 UTC |")
            .And.Contain("The last drill (2026-12-01 03:00 UTC) failed at step 'Restore the files': the target directory is not empty");
    }

    private async Task StoreAsync(RecoveryDrillResult result)
    {
        await using var repository = await BackupRepository.OpenAsync(new LocalDirectoryTarget(_cli.PathOf("repo")), RepositoryCredentials.FromPassword(CliRunner.Password));
        await RecoveryDrillRecords.SaveAsync(repository, result);
    }

    private static RecoveryDrillResult Drill(DateTimeOffset start, bool succeeded) => new()
    {
        System = "files",
        Plan = "files-plan",
        Host = "drill-host",
        StartedAt = start,
        FinishedAt = start.AddMinutes(3),
        Succeeded = succeeded,
        TargetRpo = TimeSpan.FromHours(1),
        TargetRto = TimeSpan.FromMinutes(30),
        AchievedRto = TimeSpan.FromMinutes(2),
        AchievedRpo = TimeSpan.FromMinutes(20),
        Steps =
        [
            new RecoveryStepResult
            {
                Name = "Restore the files",
                Kind = RecoveryStepKind.Restore,
                Outcome = succeeded ? RecoveryStepOutcome.Succeeded : RecoveryStepOutcome.Failed,
                Duration = TimeSpan.FromMinutes(2),
                Error = succeeded ? null : "the target directory is not empty",
            },
        ],
    };
}
