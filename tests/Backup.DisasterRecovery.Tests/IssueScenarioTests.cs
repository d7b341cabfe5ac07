using Backup.Extensions.DependencyInjection;
using Backup.Providers.PostgreSql;
using Backup.Providers.Tests.Servers;
using Microsoft.Extensions.DependencyInjection;

namespace Backup.DisasterRecovery.Tests;

/// <summary>
/// The whole story on real parts, as the issue tells it: a plan with a PostgreSQL system (a database job plus an
/// off-site copy) and a files system, each with an HTTP failover step against a real local listener. Validate finds the
/// deliberate gaps, a drill restores both into scratch targets and calls the endpoints, a second drill with a broken
/// step reports it, and the report and runbook show exactly what the drills measured.
/// </summary>
public sealed class IssueScenarioTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>, IAsyncLifetime, IDisposable
{
    private readonly string _passwordVariable = $"BACKUP_TEST_DR_SCENARIO_{Guid.NewGuid():N}";
    private readonly string _databasePasswordVariable = $"BACKUP_TEST_DR_SCENARIO_PG_{Guid.NewGuid():N}";
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"dr-scenario-{Guid.NewGuid():N}");
    private readonly EndpointRecorder _endpoint = new();

    [SkippableFact]
    public async Task Validate_finds_the_gaps_drills_measure_and_clean_up_and_the_report_and_runbook_show_what_they_measured()
    {
        var server = fixture.Require();
        var plan = await PlanAsync(server);
        await using var services = RecoveryPlanServices.Create(plan, backup => backup.AddDatabaseEngine(new PostgreSqlEngine()));
        var jobs = services.GetRequiredService<IBackupJobRunner>();
        foreach (var job in new[] { "orders-db", "uploads" })
        {
            (await jobs.RunAsync(job)).Outcome.Should().Be(BackupJobOutcome.Succeeded);
        }

        // Validate: exactly the deliberate gaps of each system.
        var validation = await services.GetRequiredService<RecoveryPlanValidator>().ValidateAsync();
        validation.IsValid.Should().BeFalse();
        var errors = validation.Findings.Where(f => f.Severity == PlanFindingSeverity.Error).ToList();
        errors.Should().Contain(f => f.System == "orders" && f.Rule == "3-2-1-1-0" && f.Message.Contains("no immutable copy"));
        errors.Should().NotContain(f => f.System == "orders" && f.Rule != "3-2-1-1-0", "the orders system is protected, its RPO reachable and its steps sound");
        errors.Should().Contain(f => f.System == "uploads" && f.Rule == "rpo-schedule");
        validation.Copies["orders"].OffSite.Should().Be(1);
        validation.Copies["orders"].Immutable.Should().Be(0);

        // A drill of each system: restored into scratch targets, verified, the failover endpoint called.
        var drills = services.GetRequiredService<IRecoveryDrillRunner>();
        var orders = await drills.RunAsync(plan, "orders");
        var uploads = await drills.RunAsync(plan, "uploads");
        orders.Succeeded.Should().BeTrue(string.Join("; ", orders.Steps.Select(s => $"{s.Name}: {s.Outcome} {s.Error}")));
        uploads.Succeeded.Should().BeTrue(string.Join("; ", uploads.Steps.Select(s => $"{s.Name}: {s.Outcome} {s.Error}")));
        _endpoint.Requests.Select(r => r.Path).Should().BeEquivalentTo(["/orders/failover", "/uploads/failover"]);
        orders.CleanedUp.Should().Contain(c => c.StartsWith("postgres database dr_", StringComparison.Ordinal));
        (await server.ScalarAsync("postgres", "SELECT count(*) FROM pg_database WHERE datname LIKE 'dr\\_%'")).Should().Be(0L);

        // A second drill of the files system with a broken step: reported with its output, nothing after it runs, cleaned up.
        var broken = new CommandStep();
        broken.DrillRun.AddRange(["sh", "-c", "echo 'uploads bucket policy missing' >&2; exit 2"]);
        plan.Systems["uploads"].Steps.Insert(1, new RecoveryStep { Name = "Apply the bucket policy", Command = broken });
        var failed = await drills.RunAsync(plan, "uploads");
        failed.Succeeded.Should().BeFalse();
        failed.Steps.Select(s => s.Outcome).Should().Equal(RecoveryStepOutcome.Succeeded, RecoveryStepOutcome.Failed, RecoveryStepOutcome.NotRun, RecoveryStepOutcome.NotRun);
        failed.Steps[1].Output.Should().Contain("uploads bucket policy missing");
        failed.CleanupProblems.Should().BeEmpty();
        _endpoint.Requests.Should().HaveCount(2, "the failover after the broken step is not called");
        Directory.EnumerateFileSystemEntries(Path.Combine(_root, "scratch")).Should().BeEmpty();

        // The report, from the plan and the repositories alone, shows what the drills measured.
        var report = await services.GetRequiredService<RecoveryReportBuilder>().BuildAsync(plan, validation);
        var ordersReport = report.Systems.Single(s => s.Name == "orders");
        ordersReport.AchievedRto.Should().Be(orders.AchievedRto);
        ordersReport.AchievedRpo.Should().Be(orders.AchievedRpo);
        ordersReport.LastSuccessfulDrill!.StartedAt.Should().Be(orders.StartedAt);
        ordersReport.Deviations.Should().Contain(d => d.Contains("no immutable copy"));
        var uploadsReport = report.Systems.Single(s => s.Name == "uploads");
        uploadsReport.Drills.Should().HaveCount(2);
        uploadsReport.LastDrill!.Succeeded.Should().BeFalse();
        uploadsReport.LastDrill.FailedStep.Should().Be("Apply the bucket policy");
        uploadsReport.LastSuccessfulDrill!.StartedAt.Should().Be(uploads.StartedAt);
        uploadsReport.AchievedRto.Should().Be(uploads.AchievedRto, "the achieved figures are the last successful drill's");
        report.Met.Should().BeFalse();
        report.ToJson().Should().Contain("\"orders\"").And.Contain("\"uploads\"");

        // The runbook lists every step of both systems, in order.
        var runbook = RecoveryRunbook.ToMarkdown(plan);
        runbook.IndexOf("Restore the orders database", StringComparison.Ordinal).Should().BeLessThan(runbook.IndexOf("Fail the orders API over", StringComparison.Ordinal));
        runbook.Should().Contain("Apply the bucket policy").And.Contain("Fail the uploads over").And.Contain("curl");
    }

    public Task InitializeAsync()
    {
        var uploads = Path.Combine(_root, "uploads");
        Directory.CreateDirectory(uploads);
        File.WriteAllText(Path.Combine(uploads, "invoice-1.pdf"), new string('i', 40_000));
        File.WriteAllText(Path.Combine(uploads, "logo.png"), "logo");
        Directory.CreateDirectory(Path.Combine(_root, "scratch"));
        Environment.SetEnvironmentVariable(_passwordVariable, "scenario-Repo-pw 31");
        Environment.SetEnvironmentVariable(_databasePasswordVariable, PostgresServer.Password);
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        Environment.SetEnvironmentVariable(_passwordVariable, null);
        Environment.SetEnvironmentVariable(_databasePasswordVariable, null);
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }

        return Task.CompletedTask;
    }

    public void Dispose() => _endpoint.Dispose();

    private async Task<RecoveryPlan> PlanAsync(PostgresServer server)
    {
        var database = fixture.NewDatabaseName("orders");
        await server.CreateDatabaseAsync(database);
        await server.ExecuteAsync(database, """
            CREATE TABLE orders (id int PRIMARY KEY, customer text NOT NULL, total numeric(12, 2));
            INSERT INTO orders SELECT g, 'customer ' || (g % 11), g * 3.25 FROM generate_series(1, 300) g;
            """);

        var plan = new RecoveryPlan { Name = "issue-scenario" };
        plan.Backup.Repositories["main"] = new BackupRepositoryOptions { Path = Path.Combine(_root, "main"), CreateIfMissing = true, PasswordEnvironmentVariable = _passwordVariable };
        plan.Backup.Repositories["offsite"] = new BackupRepositoryOptions { Path = Path.Combine(_root, "offsite"), CreateIfMissing = true, PasswordEnvironmentVariable = _passwordVariable };
        plan.Backup.Sources["orders-pg"] = new BackupDatabaseSourceOptions { Engine = "postgres", ConnectionString = server.ConnectionString(database), PasswordEnvironmentVariable = _databasePasswordVariable };
        var ordersJob = new BackupJobOptions { Repository = "main", Source = "orders-pg", Schedule = "0 */6 * * *" };
        ordersJob.CopyTo.Add("offsite");
        plan.Backup.Jobs["orders-db"] = ordersJob;
        var uploadsJob = new BackupJobOptions { Repository = "main", Schedule = "0 2 * * *" };
        uploadsJob.Paths.Add(Path.Combine(_root, "uploads"));
        plan.Backup.Jobs["uploads"] = uploadsJob;
        plan.Scratch.Directory = Path.Combine(_root, "scratch");
        plan.Scratch.Databases["postgres"] = new ScratchDatabaseServer { ConnectionString = server.ConnectionString(), PasswordEnvironmentVariable = _databasePasswordVariable };

        // Orders: backed up every 6 hours with an off-site copy on other storage, but nothing immutable (a deliberate gap).
        var orders = new RecoverySystem { Tier = 1, Rpo = TimeSpan.FromHours(12), Rto = TimeSpan.FromMinutes(30) };
        orders.Jobs.Add("orders-db");
        orders.Copies.Add(new RecoveryCopy { Repository = "offsite", OffSite = true, Media = "object-storage" });
        orders.Steps.Add(new RecoveryStep { Name = "Restore the orders database", Restore = new RestoreStep { Job = "orders-db" }, Timeout = TimeSpan.FromMinutes(5) });
        orders.Steps.Add(new RecoveryStep { Name = "Verify the orders database", Verify = new VerifyStep { Restore = "Restore the orders database" }, Timeout = TimeSpan.FromMinutes(5) });
        orders.Steps.Add(new RecoveryStep { Name = "Fail the orders API over", Http = new HttpStep { Url = new Uri("https://dns.example.invalid/orders"), DrillUrl = _endpoint.Url("/orders/failover") }, Timeout = TimeSpan.FromMinutes(1) });
        plan.Systems["orders"] = orders;

        // Uploads: backed up once a day, with an RPO of an hour (a deliberate gap).
        var uploads = new RecoverySystem { Tier = 2, Rpo = TimeSpan.FromHours(1), Rto = TimeSpan.FromMinutes(30) };
        uploads.Jobs.Add("uploads");
        uploads.Steps.Add(new RecoveryStep { Name = "Restore the uploads", Restore = new RestoreStep { Job = "uploads" }, Timeout = TimeSpan.FromMinutes(5) });
        uploads.Steps.Add(new RecoveryStep { Name = "Verify the uploads", Verify = new VerifyStep { Restore = "Restore the uploads" }, Timeout = TimeSpan.FromMinutes(5) });
        uploads.Steps.Add(new RecoveryStep { Name = "Fail the uploads over", Http = new HttpStep { Url = new Uri("https://dns.example.invalid/uploads"), DrillUrl = _endpoint.Url("/uploads/failover") }, Timeout = TimeSpan.FromMinutes(1) });
        plan.Systems["uploads"] = uploads;
        return plan;
    }
}
