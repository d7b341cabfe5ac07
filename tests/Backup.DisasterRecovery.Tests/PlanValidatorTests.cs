using Backup.Extensions.DependencyInjection;
using Backup.Providers.PostgreSql;
using Microsoft.Extensions.DependencyInjection;

namespace Backup.DisasterRecovery.Tests;

/// <summary>
/// The plan: a PostgreSQL system (a database job plus an off-site copy) and a files system, over real local
/// repositories. Validation finds exactly the deliberate gaps: the database system has no immutable copy, and the
/// files system's RPO is shorter than its job's schedule allows.
/// </summary>
public sealed class PlanValidatorTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "dr-validate-tests", Guid.NewGuid().ToString("N"));

    public PlanValidatorTests()
    {
        Directory.CreateDirectory(Path.Combine(_directory, "uploads"));
        File.WriteAllText(Path.Combine(_directory, "uploads", "logo.png"), "not really a png");
        File.WriteAllText(Path.Combine(_directory, "repo-password"), "correct horse battery staple\n");
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private const string Plan = """
        name: issue-19
        backup:
          repositories:
            local:   { location: repos/local,   passwordFile: repo-password, createIfMissing: true }
            offsite: { location: repos/offsite, passwordFile: repo-password, createIfMissing: true }
            vault:   { location: repos/vault,   passwordFile: repo-password, createIfMissing: true, appendOnly: true }
          sources:
            shopdb: { engine: postgres, connectionString: "Host=localhost;Username=backup;Database=shop", passwordEnvironmentVariable: SHOP_DB_PASSWORD }
          jobs:
            shop-db: { repository: local, source: shopdb, schedule: "0 * * * *", copyTo: [offsite] }
            uploads: { repository: local, paths: [uploads], schedule: "0 3 * * *", copyTo: [offsite, vault] }
        systems:
          shop:
            tier: 1
            rpo: 2h
            rto: 1h
            jobs: [shop-db]
            copies:
              - { repository: offsite, offSite: true, media: object-storage }
            steps:
              - name: Restore the database
                restore: { job: shop-db, connectionString: "Host=standby;Username=postgres", passwordEnvironmentVariable: STANDBY_PASSWORD }
              - name: Switch DNS
                http: { url: "https://dns.example/switch", drillUrl: "http://127.0.0.1:9/switch" }
              - name: Verify the database
                verify: { restore: Restore the database }
          uploads:
            tier: 2
            rpo: 1h
            rto: 2h
            jobs: [uploads]
            copies:
              - { repository: offsite, offSite: true, media: object-storage }
            steps:
              - name: Restore the uploads
                restore: { job: uploads, directory: restored }
        scratch:
          databases:
            postgres: { connectionString: "Host=localhost;Username=postgres" }
        """;

    [Fact]
    public async Task Validation_finds_the_missing_immutable_copy_and_the_rpo_shorter_than_the_schedule_and_nothing_else()
    {
        await using var services = Services(Plan);

        var result = await services.GetRequiredService<RecoveryPlanValidator>().ValidateAsync();

        result.IsValid.Should().BeFalse();
        var errors = result.Findings.Where(f => f.Severity == PlanFindingSeverity.Error).ToList();
        errors.Should().HaveCount(2, string.Join(Environment.NewLine, result.Findings));
        errors.Should().ContainSingle(f => f.Rule == "3-2-1-1-0").Which.Should().Match<PlanFinding>(f => f.System == "shop" && f.Message.Contains("no immutable copy"));
        errors.Should().ContainSingle(f => f.Rule == "rpo-schedule").Which.Should().Match<PlanFinding>(f =>
            f.System == "uploads" && f.Message.Contains("Systems:uploads:Rpo") && f.Message.Contains("'uploads'") && f.Message.Contains("1d between runs"));

        var shop = result.Copies["shop"];
        shop.Copies.Should().Be(2, "the job's repository and the one it copies to");
        shop.OffSite.Should().Be(1);
        shop.Immutable.Should().Be(0);
        shop.Media.Should().Equal("disk", "object-storage");
        shop.VerificationErrors.Should().Be(0, "the structural check of both copies ran and found nothing");
        shop.Gaps.Should().ContainSingle().Which.Should().Contain("immutable");
        result.Copies["uploads"].Satisfied.Should().BeTrue("the append-only vault is the immutable copy: {0}", string.Join("; ", result.Copies["uploads"].Gaps));
        result.Copies["uploads"].Copies.Should().Be(3);
    }

    [Fact]
    public async Task A_repository_that_does_not_open_and_one_the_check_finds_damaged_are_errors_and_count_against_zero_errors()
    {
        var plan = Plan
            .Replace("vault:   { location: repos/vault,   passwordFile: repo-password, createIfMissing: true, appendOnly: true }", "vault:   { location: repos/missing, passwordFile: repo-password, appendOnly: true }", StringComparison.Ordinal)
            .Replace("rpo: 1h", "rpo: 1d", StringComparison.Ordinal);
        await using (var first = Services(plan.Replace("repos/missing, passwordFile: repo-password,", "repos/missing, passwordFile: repo-password, createIfMissing: true,", StringComparison.Ordinal)))
        {
            // A real run of the files job fills local and offsite (and creates the vault, which is then removed).
            var run = await first.GetRequiredService<IBackupJobRunner>().RunAsync("uploads");
            run.Outcome.Should().Be(BackupJobOutcome.Succeeded, run.Error?.ToString());
            run.CopyFailed.Should().BeFalse();
        }

        Directory.Delete(Path.Combine(_directory, "repos", "missing"), recursive: true);
        var packs = Directory.GetFiles(Path.Combine(_directory, "repos", "offsite", "data"), "*", SearchOption.AllDirectories);
        packs.Should().NotBeEmpty();
        File.Delete(packs[0]);
        await using var services = Services(plan);

        var result = await services.GetRequiredService<RecoveryPlanValidator>().ValidateAsync();

        result.Findings.Should().Contain(f => f.Rule == "repository" && f.Message.StartsWith("Backup:Repositories:vault: does not open:", StringComparison.Ordinal));
        result.Findings.Should().Contain(f => f.Rule == "repository" && f.Message.StartsWith("Backup:Repositories:offsite: check found", StringComparison.Ordinal));
        result.Copies["uploads"].VerificationErrors.Should().BeGreaterThan(0);
        result.Copies["uploads"].Unverified.Should().Equal("vault");
        result.Copies["uploads"].Gaps.Should().Contain(g => g.Contains("verification error")).And.Contain(g => g.Contains("'vault' could not be checked"));

        var notChecked = await services.GetRequiredService<RecoveryPlanValidator>().ValidateAsync(new RecoveryPlanValidationOptions { CheckRepositories = false });
        notChecked.Copies["uploads"].VerificationErrors.Should().BeNull("no check ran");
        notChecked.Findings.Should().NotContain(f => f.Message.Contains("check found"));
        notChecked.Copies["uploads"].Unverified.Should().BeEmpty("no check was asked for");
    }

    [Fact]
    public async Task A_job_with_no_snapshot_yet_is_a_warning_naming_how_to_run_it_until_the_job_has_run()
    {
        await using (var services = Services(Plan))
        {
            var before = await services.GetRequiredService<RecoveryPlanValidator>().ValidateAsync();

            var warnings = before.Findings.Where(f => f.Rule == "snapshots").ToList();
            warnings.Should().HaveCount(2, string.Join(Environment.NewLine, before.Findings));
            warnings.Should().OnlyContain(f => f.Severity == PlanFindingSeverity.Warning);
            warnings.Should().ContainSingle(f => f.System == "uploads").Which.Message.Should()
                .Contain("job 'uploads' has no complete snapshot in repository 'local'").And.Contain("backup dr backup PLAN --job uploads");

            var run = await services.GetRequiredService<IBackupJobRunner>().RunAsync("uploads");
            run.Outcome.Should().Be(BackupJobOutcome.Succeeded, run.Error?.ToString());
        }

        await using var again = Services(Plan);
        var after = await again.GetRequiredService<RecoveryPlanValidator>().ValidateAsync();
        after.Findings.Where(f => f.Rule == "snapshots").Should().ContainSingle(string.Join(Environment.NewLine, after.Findings))
            .Which.System.Should().Be("shop", "the uploads job has a snapshot now; the database job still has none");
    }

    /// <summary>
    /// A job snapshot dated a year ahead (a clock that ran ahead, or one added by anyone who holds the password) says
    /// nothing of how old the last backup is: taken as the newest, no RPO warning would come for a year.
    /// </summary>
    [Fact]
    public async Task A_job_snapshot_dated_ahead_does_not_hide_that_the_newest_real_one_is_past_the_rpo()
    {
        await using (var local = await Backup.Core.BackupRepository.InitAsync(
            new Backup.Core.Storage.LocalDirectoryTarget(Path.Combine(_directory, "repos", "local")), Backup.Core.Crypto.RepositoryCredentials.FromPassword("correct horse battery staple")))
        {
            var job = new Dictionary<string, string> { ["backup.job"] = "uploads" };
            await local.Snapshots.SaveAsync(new Backup.Core.Snapshots.Snapshot { Hostname = "h", SourceKind = "files", Time = DateTimeOffset.UtcNow.AddDays(-2), Metadata = job });
            await local.Snapshots.SaveAsync(new Backup.Core.Snapshots.Snapshot { Hostname = "h", SourceKind = "files", Time = DateTimeOffset.UtcNow.AddYears(1), Metadata = job });
        }

        await using var services = Services(Plan);
        var result = await services.GetRequiredService<RecoveryPlanValidator>().ValidateAsync(new RecoveryPlanValidationOptions { CheckRepositories = false });

        result.Findings.Should().ContainSingle(f => f.Rule == "snapshots" && f.System == "uploads", string.Join(Environment.NewLine, result.Findings))
            .Which.Message.Should().Contain("past the RPO of 1h");
    }

    [Fact]
    public async Task A_scratch_server_under_a_misspelt_engine_name_is_a_warning_that_suggests_the_right_one()
    {
        await using var services = Services(Plan.Replace("    postgres: { connectionString", "    postgress: { connectionString", StringComparison.Ordinal));

        var result = await services.GetRequiredService<RecoveryPlanValidator>().ValidateAsync(new RecoveryPlanValidationOptions { CheckRepositories = false });

        result.Findings.Should().ContainSingle(f => f.Message.StartsWith("Scratch:Databases:postgress:", StringComparison.Ordinal))
            .Which.Should().Match<PlanFinding>(f => f.Severity == PlanFindingSeverity.Warning && f.Message.Contains("did you mean 'postgres'?"));
        result.Findings.Should().Contain(f => f.Message.Contains("Scratch:Databases has no 'postgres' server"), "the drill it was meant for still has no server");
    }

    [Fact]
    public async Task A_system_none_of_whose_copies_opens_shows_no_error_count_rather_than_zero()
    {
        var plan = Plan
            .Replace("location: repos/", "location: repos/never-created-", StringComparison.Ordinal)
            .Replace("createIfMissing: true", "createIfMissing: false", StringComparison.Ordinal);
        await using var services = Services(plan);

        var result = await services.GetRequiredService<RecoveryPlanValidator>().ValidateAsync();

        var shop = result.Copies["shop"];
        shop.VerificationErrors.Should().BeNull("a sum over no checked copy is not zero errors");
        shop.Unverified.Should().HaveCount(shop.Copies);
        shop.Satisfied.Should().BeFalse();
        ReportFormat.Copies(shop).Should().EndWith("not checked");
    }

    [Fact]
    public async Task The_time_a_run_typically_takes_counts_against_the_rpo()
    {
        var plan = Plan.Replace("rpo: 1h", "rpo: 1d", StringComparison.Ordinal);
        await using (var first = Services(plan))
        {
            (await first.GetRequiredService<IBackupJobRunner>().RunAsync("uploads")).Outcome.Should().Be(BackupJobOutcome.Succeeded);
        }

        await using var services = Services(plan);

        var result = await services.GetRequiredService<RecoveryPlanValidator>().ValidateAsync(new RecoveryPlanValidationOptions { CheckRepositories = false });

        result.Findings.Should().ContainSingle(f => f.Rule == "rpo-schedule", "a daily job whose runs take time cannot keep an RPO of exactly a day")
            .Which.Message.Should().Contain("a run typically takes");
    }

    [Theory]
    [InlineData("/srv/uploads", true)]
    [InlineData("/srv/uploads/restored", true)]
    [InlineData("/", false)]
    [InlineData("/mnt/restore", false)]
    public async Task A_restore_directory_that_would_nest_the_files_in_themselves_is_a_warning(string directory, bool warned)
    {
        var plan = RecoveryPlanLoader.Parse($$"""
            backup:
              repositories: { local: { location: repos/local, passwordFile: repo-password } }
              jobs: { files: { repository: local, paths: [/srv/uploads], schedule: "0 * * * *" } }
            systems:
              shop:
                rpo: 1d
                rto: 1h
                jobs: [files]
                steps:
                  - name: Restore
                    restore: { job: files, directory: {{directory}} }
            """, json: false, "plan.yaml", _directory);
        await using var services = RecoveryPlanServices.Create(plan);

        var result = await services.GetRequiredService<RecoveryPlanValidator>().ValidateAsync(new RecoveryPlanValidationOptions { OpenRepositories = false });

        var nesting = result.Findings.Where(f => f.Message.StartsWith("Systems:shop:Steps:0:Restore:Directory:", StringComparison.Ordinal)).ToList();
        if (warned)
        {
            nesting.Should().ContainSingle().Which.Should().Match<PlanFinding>(f => f.Severity == PlanFindingSeverity.Warning
                && f.Message.Contains($"'/srv/uploads' would land in '{directory}/srv/uploads'") && f.Message.Contains("set Directory to /"));
        }
        else
        {
            nesting.Should().BeEmpty();
        }
    }

    [Fact]
    public async Task Malformed_steps_and_unprotected_systems_are_reported_each_with_its_setting()
    {
        var plan = RecoveryPlanLoader.Parse("""
            backup:
              repositories: { local: { location: repos/local, passwordFile: repo-password } }
              jobs: { files: { repository: local, paths: [uploads], schedule: "*/15 * * * *" } }
            systems:
              orphan: { rpo: 1h, rto: 1h }
              shop:
                rpo: 1h
                rto: 10m
                jobs: [filez]
                steps:
                  - name: Verify first
                    verify: { restore: Restore }
                  - name: Restore
                    timeout: "-00:01:00"
                    restore: { job: filez }
                  - name: Restore
                    command: { run: [""] }
                  - name: Both
                    command: { run: [echo] }
                    http: { url: "https://x.example/" }
                  - name: Nothing
                  - name: Call
                    http: { url: "/relative", drillUrl: "ftp://files.example/x", expectStatus: [200, 700] }
                  - name: Wait
                    waitFor: { url: "https://app.example/health", interval: "00:00:00" }
            """, json: false, "plan.yaml", _directory);
        await using var services = RecoveryPlanServices.Create(plan);

        var result = await services.GetRequiredService<RecoveryPlanValidator>().ValidateAsync(new RecoveryPlanValidationOptions { OpenRepositories = false });

        var messages = result.Findings.Select(f => f.Message).ToList();
        messages.Should().Contain(m => m.StartsWith("Systems:orphan:Jobs: no job protects this system", StringComparison.Ordinal));
        messages.Should().Contain("Systems:shop:Jobs:0: 'filez' is not a job of the plan; did you mean 'files'?");
        messages.Should().Contain(m => m.StartsWith("Systems:shop:Steps:0:Verify:Restore: 'Restore' is not an earlier restore step", StringComparison.Ordinal));
        messages.Should().Contain("Systems:shop:Steps:1:Timeout: must be positive.");
        messages.Should().Contain("Systems:shop:Steps:1:Restore:Job: 'filez' is not a job of the plan; did you mean 'files'?");
        messages.Should().Contain(m => m.StartsWith("Systems:shop:Steps:2:Name: 'Restore' is the name of an earlier step", StringComparison.Ordinal));
        messages.Should().Contain(m => m.StartsWith("Systems:shop:Steps:2:Command:Run: is required", StringComparison.Ordinal));
        messages.Should().Contain(m => m.StartsWith("Systems:shop:Steps:3: sets Command and Http", StringComparison.Ordinal));
        messages.Should().Contain(m => m.StartsWith("Systems:shop:Steps:4: says nothing to do", StringComparison.Ordinal));
        messages.Should().Contain("Systems:shop:Steps:5:Http:Url: '/relative' is not an absolute http:// or https:// URL.");
        messages.Should().Contain("Systems:shop:Steps:5:Http:DrillUrl: 'ftp://files.example/x' is not an absolute http:// or https:// URL.");
        messages.Should().Contain("Systems:shop:Steps:5:Http:ExpectStatus: 700 is not an HTTP status (100 to 599).");
        messages.Should().Contain("Systems:shop:Steps:6:WaitFor:Interval: must be positive.");
        result.Findings.Where(f => f.Severity == PlanFindingSeverity.Warning).Should().Contain(f => f.Message.Contains("timeouts add up to"));
        result.Findings.Select(f => f.Severity).Should().BeInAscendingOrder("errors come first");
    }

    [Fact]
    public async Task A_backup_section_the_host_would_refuse_is_reported_as_findings_not_thrown()
    {
        var plan = RecoveryPlanLoader.Parse("""
            backup:
              jobs: { files: { repository: nowhere, paths: [uploads], schedule: "0 * * * *" } }
            systems:
              files: { rpo: 2h, rto: 1h, jobs: [files] }
            """, json: false, "plan.yaml", _directory);
        await using var services = RecoveryPlanServices.Create(plan);

        var result = await services.GetRequiredService<RecoveryPlanValidator>().ValidateAsync();

        result.IsValid.Should().BeFalse();
        result.Findings.Should().Contain(f => f.Rule == "plan" && f.Message.Contains("nowhere"));
        result.Findings.Should().NotContain(f => f.Rule == "rpo-schedule", "the schedule itself is fine");
    }

    [Fact]
    public async Task A_schedule_that_is_not_cron_is_reported_once_not_again_by_the_rpo_rule()
    {
        var plan = RecoveryPlanLoader.Parse("""
            backup:
              repositories: { local: { location: repos/local, passwordFile: repo-password, createIfMissing: true } }
              jobs: { files: { repository: local, paths: [uploads], schedule: "*/61 * * * *" } }
            systems:
              files: { rpo: 2h, rto: 1h, jobs: [files] }
            """, json: false, "plan.yaml", _directory);
        await using var services = RecoveryPlanServices.Create(plan);

        var result = await services.GetRequiredService<RecoveryPlanValidator>().ValidateAsync(new RecoveryPlanValidationOptions { CheckRepositories = false });

        result.Findings.Where(f => f.Message.StartsWith("Backup:Jobs:files:Schedule:", StringComparison.Ordinal)).Should().ContainSingle()
            .Which.Message.Should().Contain("is not a valid cron expression");
    }

    [Fact]
    public async Task A_system_with_no_kind_of_storage_is_told_what_to_do()
    {
        await using var services = Services(Plan.Replace(
            "    jobs: [uploads]\n    copies:\n      - { repository: offsite, offSite: true, media: object-storage }\n", "    jobs: [upload]\n", StringComparison.Ordinal));

        var result = await services.GetRequiredService<RecoveryPlanValidator>().ValidateAsync(new RecoveryPlanValidationOptions { CheckRepositories = false });

        result.Copies["uploads"].Gaps.Should().ContainSingle(g => g.StartsWith("no kind of storage", StringComparison.Ordinal))
            .Which.Should().Contain("2 needed: ").And.Contain("another kind of storage").And.Contain("Media");
    }

    private ServiceProvider Services(string yaml) =>
        RecoveryPlanServices.Create(RecoveryPlanLoader.Parse(yaml, json: false, "plan.yaml", _directory), b => b.AddDatabaseEngine(new PostgreSqlEngine()));
}
