using Backup.Core.Storage;
using Backup.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Time.Testing;

namespace Backup.Extensions.Tests;

public sealed class HealthTests
{
    private static ServiceProvider Build(FakeTimeProvider time, Action<BackupJobOptions>? job = null) =>
        TestSupport.Build(time: time, configure: b => b.AddJob("export", j => job?.Invoke(j)), services: s => s.AddHealthChecks().AddBackupHealthChecks());

    private static async Task<HealthReportEntry> CheckAsync(ServiceProvider provider) =>
        (await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync()).Entries["backup:export"];

    [Fact]
    public async Task Unhealthy_without_any_snapshot()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var provider = Build(time);

        var entry = await CheckAsync(provider);

        entry.Status.Should().Be(HealthStatus.Unhealthy);
        entry.Data["rpoSeconds"].Should().Be(86400.0);
        entry.Data.Should().NotContainKey("lastSnapshotTime");
    }

    [Fact]
    public async Task A_probe_before_the_first_run_creates_no_repository_even_with_CreateIfMissing()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var target = new InMemoryTarget(time);
        await using var provider = TestSupport.Build(time: time, target: target, configure: b => b.AddJob("export", _ => { }), services: s => s.AddHealthChecks().AddBackupHealthChecks());

        var before = await CheckAsync(provider);

        before.Status.Should().Be(HealthStatus.Unhealthy);
        before.Description.Should().Contain("has no successful snapshot");
        before.Exception.Should().BeNull("a repository not there yet holds no snapshot; that is no failure of the check");
        target.Count.Should().Be(0, "creating the repository is for the job's runs, not for a probe");

        (await provider.GetRequiredService<IBackupJobRunner>().RunAsync("export")).Outcome.Should().Be(BackupJobOutcome.Succeeded);
        (await CheckAsync(provider)).Status.Should().Be(HealthStatus.Healthy);
    }

    [Fact]
    public async Task A_missing_repository_that_no_run_will_create_is_Unhealthy_saying_it_cannot_be_read()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var provider = TestSupport.Build(time: time, settings: new Dictionary<string, string?> { ["Backup:Repositories:main:CreateIfMissing"] = "false" },
            configure: b => b.AddJob("export", _ => { }), services: s => s.AddHealthChecks().AddBackupHealthChecks());

        var entry = await CheckAsync(provider);

        entry.Status.Should().Be(HealthStatus.Unhealthy);
        entry.Description.Should().StartWith("Backup job 'export': cannot read its snapshots:", "an unmounted disk or a mistyped Location is a fault every run meets, not an empty history");
        entry.Exception.Should().BeNull();
    }

    [Fact]
    public async Task A_job_without_an_RPO_and_without_a_snapshot_is_Degraded_not_within_its_objectives()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var provider = TestSupport.Build(time: time, settings: new Dictionary<string, string?> { ["Backup:Jobs:export:Rpo"] = null },
            configure: b => b.AddJob("export", _ => { }), services: s => s.AddHealthChecks().AddBackupHealthChecks());

        var entry = await CheckAsync(provider);

        entry.Status.Should().Be(HealthStatus.Degraded);
        entry.Description.Should().Be("Backup job 'export' has no successful snapshot yet; set its Rpo to have that reported as Unhealthy.");
        (await provider.GetRequiredService<IBackupJobRunner>().RunAsync("export")).Outcome.Should().Be(BackupJobOutcome.Succeeded);
        (await CheckAsync(provider)).Status.Should().Be(HealthStatus.Healthy);
    }

    [Fact]
    public async Task Health_flips_exactly_at_the_RPO_boundary()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var provider = Build(time);
        var result = await provider.GetRequiredService<IBackupJobRunner>().RunAsync("export");
        result.Outcome.Should().Be(BackupJobOutcome.Succeeded);
        var snapshotTime = result.Snapshot!.Time;

        time.SetUtcNow(snapshotTime + TimeSpan.FromDays(1));
        var atBoundary = await CheckAsync(provider);
        time.Advance(TimeSpan.FromTicks(1));
        var past = await CheckAsync(provider);

        atBoundary.Status.Should().Be(HealthStatus.Healthy);
        atBoundary.Data["ageSeconds"].Should().Be(86400.0);
        atBoundary.Data["rpoSeconds"].Should().Be(86400.0);
        atBoundary.Data["lastSnapshotTime"].Should().Be(snapshotTime.ToUniversalTime().ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        past.Status.Should().Be(HealthStatus.Unhealthy);
    }

    [Fact]
    public async Task After_a_restart_the_newest_snapshot_is_read_from_the_repository()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var target = new InMemoryTarget(time);
        await using (var first = TestSupport.Build(time: time, target: target))
        {
            (await first.GetRequiredService<IBackupJobRunner>().RunAsync("export")).Outcome.Should().Be(BackupJobOutcome.Succeeded);
        }

        time.Advance(TimeSpan.FromHours(3));
        await using var second = TestSupport.Build(time: time, target: target, services: s => s.AddHealthChecks().AddBackupHealthChecks());
        var entry = await CheckAsync(second);

        entry.Status.Should().Be(HealthStatus.Healthy);
        entry.Data["ageSeconds"].Should().Be(10800.0);
    }

    [Fact]
    public async Task Degraded_when_the_last_verification_failed_or_is_too_old()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var pass = false;
        await using var provider = Build(time, j =>
        {
            j.VerificationMaxAge = TimeSpan.FromHours(12);
            j.VerificationStep = (_, _) => Task.FromResult(new BackupVerificationOutcome { Succeeded = pass, Message = pass ? "ok" : "3 packs unreadable" });
        });
        var runner = provider.GetRequiredService<IBackupJobRunner>();

        await runner.RunAsync("export");
        var failed = await CheckAsync(provider);
        pass = true;
        await runner.RunAsync("export");
        var passed = await CheckAsync(provider);
        time.Advance(TimeSpan.FromHours(13));
        var stale = await CheckAsync(provider);

        failed.Status.Should().Be(HealthStatus.Degraded);
        failed.Description.Should().Contain("3 packs unreadable");
        failed.Data["lastVerificationSucceeded"].Should().Be(false);
        passed.Status.Should().Be(HealthStatus.Healthy);
        passed.Data.Should().ContainKey("lastVerification");
        stale.Status.Should().Be(HealthStatus.Degraded);
    }

    [Fact]
    public async Task After_a_restart_an_unknown_verification_is_Degraded_only_once_VerificationMaxAge_has_passed_since_the_start()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var target = new InMemoryTarget(time);
        void Job(BackupJobOptions j)
        {
            j.VerificationMaxAge = TimeSpan.FromHours(12);
            j.VerificationStep = (_, _) => Task.FromResult(new BackupVerificationOutcome { Succeeded = true, Message = "ok" });
        }

        await using (var first = TestSupport.Build(time: time, target: target, configure: b => b.AddJob("export", Job)))
        {
            (await first.GetRequiredService<IBackupJobRunner>().RunAsync("export")).Verification!.Succeeded.Should().BeTrue();
        }

        time.Advance(TimeSpan.FromHours(1));
        await using var restarted = TestSupport.Build(time: time, target: target, configure: b => b.AddJob("export", Job), services: s => s.AddHealthChecks().AddBackupHealthChecks());
        var afterRestart = await CheckAsync(restarted);
        time.Advance(TimeSpan.FromHours(12));
        var atLimit = await CheckAsync(restarted);
        time.Advance(TimeSpan.FromTicks(1));
        var stale = await CheckAsync(restarted);

        afterRestart.Status.Should().Be(HealthStatus.Healthy, afterRestart.Description);
        afterRestart.Data.Should().NotContainKey("lastVerification");
        atLimit.Status.Should().Be(HealthStatus.Healthy, atLimit.Description);
        stale.Status.Should().Be(HealthStatus.Degraded);
        stale.Description.Should().Be("Backup job 'export': no successful verification within 12h (none since this process started).");
    }

    [Fact]
    public async Task Messages_give_durations_in_human_units()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var provider = Build(time);
        var none = await CheckAsync(provider);
        var runner = provider.GetRequiredService<IBackupJobRunner>();
        var snapshotTime = (await runner.RunAsync("export")).Snapshot!.Time;
        time.SetUtcNow(snapshotTime + TimeSpan.FromDays(8));
        var old = await CheckAsync(provider);

        none.Description.Should().Be("Backup job 'export' has no successful snapshot (RPO 1d).");
        old.Description.Should().Be("Backup job 'export': newest successful snapshot is 8d old, over its RPO of 1d.");
    }

    [Fact]
    public async Task A_repository_location_that_is_a_file_is_Unhealthy_without_an_exception()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var file = Path.GetTempFileName();
        try
        {
            await using var provider = TestSupport.Build(
                time: time,
                configure: b => b.AddRepository("main", r => r.TargetFactory = _ => new LocalDirectoryTarget(file)),
                services: s => s.AddHealthChecks().AddBackupHealthChecks());

            var entry = await CheckAsync(provider);

            entry.Status.Should().Be(HealthStatus.Unhealthy);
            entry.Description.Should().Contain($"'{file}' is a file, not a directory");
            entry.Exception.Should().BeNull("a wrong location is an expected state, reported without a stack trace");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Degraded_when_the_last_restore_drill_exceeded_the_RTO()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var took = TimeSpan.FromMinutes(4);
        await using var provider = Build(time, j =>
        {
            j.Rto = TimeSpan.FromMinutes(5);
            j.VerificationStep = (_, _) => Task.FromResult(new BackupVerificationOutcome { Succeeded = true, Message = "drill", RestoreDuration = took });
        });
        var runner = provider.GetRequiredService<IBackupJobRunner>();

        await runner.RunAsync("export");
        var within = await CheckAsync(provider);
        took = TimeSpan.FromMinutes(6);
        await runner.RunAsync("export");
        var over = await CheckAsync(provider);

        within.Status.Should().Be(HealthStatus.Healthy);
        within.Data["lastRestoreSeconds"].Should().Be(240.0);
        within.Data["rtoSeconds"].Should().Be(300.0);
        over.Status.Should().Be(HealthStatus.Degraded);
        over.Description.Should().Be("Backup job 'export': the last restore drill took 6m, over its RTO of 5m.");
    }
}
