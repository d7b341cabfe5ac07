using Backup.Core.Crypto;
using Backup.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Backup.DisasterRecovery.Tests.Reports;

/// <summary>
/// A plan with two systems over a real local repository (in a temporary directory) holding stored drill results:
/// "shop" (tier 1, three drills, the last one failed) and "wiki" (tier 2, one drill over its RTO, a copy gap).
/// </summary>
internal sealed class ReportFixture : IAsyncDisposable
{
    public static readonly DateTimeOffset Day1 = new(2026, 11, 28, 3, 0, 0, TimeSpan.Zero);

    private readonly string _root;

    private ReportFixture(string root, RecoveryPlan plan, ServiceProvider services, FakeTimeProvider time)
    {
        _root = root;
        Plan = plan;
        Services = services;
        Time = time;
    }

    public RecoveryPlan Plan { get; }

    public ServiceProvider Services { get; }

    public FakeTimeProvider Time { get; }

    public static PlanValidationResult Validation { get; } = new()
    {
        Findings =
        [
            new PlanFinding(PlanFindingSeverity.Error, "rpo-schedule", "wiki", "The RPO of 1h is shorter than job 'wiki-files''s schedule allows (a gap of 1d)."),
            new PlanFinding(PlanFindingSeverity.Error, "3-2-1-1-0", "wiki", "No immutable copy."),
            new PlanFinding(PlanFindingSeverity.Warning, "plan", null, "Scratch:Directory is not set; drills use the system's temporary directory."),
        ],
        Copies = new Dictionary<string, CopyCompliance>(StringComparer.OrdinalIgnoreCase)
        {
            ["shop"] = new() { Copies = 3, Media = ["disk", "object-storage"], OffSite = 1, Immutable = 1, VerificationErrors = 0 },
            ["wiki"] = new() { Copies = 1, Media = ["disk"], OffSite = 0, Immutable = 0, Gaps = ["1 copy, 3 needed", "no immutable copy"] },
        },
    };

    /// <summary>Creates the repository, stores the drills and builds the services (plus <paramref name="configure"/>'s) at <paramref name="now"/>.</summary>
    public static async Task<ReportFixture> CreateAsync(DateTimeOffset now, bool storeDrills = true, Action<BackupBuilder>? configure = null)
    {
        var root = Path.Combine(Path.GetTempPath(), "dr-report-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(root, "data"));
        var keyFile = Path.Combine(root, "repo.key");
        await File.WriteAllBytesAsync(keyFile, RepositoryCredentials.GenerateKeyFile());
        var plan = new RecoveryPlan { Name = "acme-dr" };
        plan.Backup.Repositories["main"] = new BackupRepositoryOptions { Location = Path.Combine(root, "repo"), CreateIfMissing = true, KeyFile = keyFile };
        plan.Backup.Repositories["missing"] = new BackupRepositoryOptions { Location = Path.Combine(root, "nowhere"), KeyFile = keyFile };
        AddJob(plan, "shop-db", "main", root);
        AddJob(plan, "wiki-files", "main", root);
        AddJob(plan, "old-files", "missing", root);
        var shop = new RecoverySystem { Description = "The web shop: orders database and uploads.", Tier = 1, Rpo = TimeSpan.FromHours(6), Rto = TimeSpan.FromMinutes(30) };
        shop.Jobs.Add("shop-db");
        shop.Drill.MaxAge = TimeSpan.FromDays(7);
        plan.Systems["shop"] = shop;
        var wiki = new RecoverySystem { Tier = 2, Rpo = TimeSpan.FromHours(1), Rto = TimeSpan.FromMinutes(10) };
        wiki.Jobs.Add("wiki-files");
        plan.Systems["wiki"] = wiki;

        var time = new FakeTimeProvider(now);
        var services = RecoveryPlanServices.Create(plan, builder =>
        {
            builder.Services.AddLogging().AddSingleton<TimeProvider>(time);
            configure?.Invoke(builder);
        });
        if (storeDrills)
        {
            var repository = await services.GetRequiredService<IBackupRepositoryProvider>().GetAsync("main");
            await RecoveryDrillRecords.SaveAsync(repository, Drill("shop", Day1, TimeSpan.FromSeconds(150), TimeSpan.FromHours(1), shop));
            await RecoveryDrillRecords.SaveAsync(repository, Drill("shop", Day1.AddDays(1), TimeSpan.FromMinutes(3), TimeSpan.FromHours(2), shop));
            await RecoveryDrillRecords.SaveAsync(repository, Drill("shop", Day1.AddDays(2), TimeSpan.FromMinutes(1), null, shop, failedStep: "Switch DNS"));
            await RecoveryDrillRecords.SaveAsync(repository, Drill("wiki", Day1.AddDays(1), TimeSpan.FromMinutes(12), TimeSpan.FromMinutes(30), wiki));
        }

        return new ReportFixture(root, plan, services, time);
    }

    public Task<RecoveryReport> BuildAsync() => Services.GetRequiredService<RecoveryReportBuilder>().BuildAsync(Plan, Validation);

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    public static RecoveryDrillResult Drill(string system, DateTimeOffset start, TimeSpan rto, TimeSpan? rpo, RecoverySystem target, string? failedStep = null) => new()
    {
        System = system,
        Plan = "acme-dr",
        Host = "drill-host",
        StartedAt = start,
        FinishedAt = start + rto + TimeSpan.FromSeconds(5),
        Succeeded = failedStep is null,
        TargetRpo = target.Rpo,
        TargetRto = target.Rto,
        AchievedRto = rto,
        AchievedRpo = rpo,
        Steps =
        [
            new RecoveryStepResult { Name = "Restore", Kind = RecoveryStepKind.Restore, Outcome = RecoveryStepOutcome.Succeeded, Duration = failedStep is null ? rto - TimeSpan.FromSeconds(10) : rto - TimeSpan.FromSeconds(1) },
            new RecoveryStepResult
            {
                Name = failedStep ?? "Switch DNS",
                Kind = RecoveryStepKind.Http,
                Outcome = failedStep is null ? RecoveryStepOutcome.Succeeded : RecoveryStepOutcome.Failed,
                Duration = failedStep is null ? TimeSpan.FromSeconds(10) : TimeSpan.FromSeconds(1),
                Error = failedStep is null ? null : "HTTP 503 from the DNS API",
            },
        ],
    };

    /// <summary>The drill with <paramref name="warning"/> on its restore step (which still succeeded).</summary>
    public static RecoveryDrillResult WithWarning(RecoveryDrillResult drill, string warning) =>
        drill with { Steps = [drill.Steps[0] with { Warnings = [warning] }, .. drill.Steps.Skip(1)] };

    private static void AddJob(RecoveryPlan plan, string name, string repository, string root)
    {
        var job = new BackupJobOptions { Repository = repository };
        job.Paths.Add(Path.Combine(root, "data"));
        plan.Backup.Jobs[name] = job;
    }
}
