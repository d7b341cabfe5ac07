using Backup.Core.Storage;
using Backup.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Backup.Extensions.Tests;

public sealed class JobVerificationTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 2, 0, 0, TimeSpan.Zero);

    private static Action<BackupBuilder> Job(string name, BackupVerificationOptions verification, TimeSpan? rpo = null) => b => b.AddJob(name, j =>
    {
        j.Repository = "main";
        j.SourceFactory = _ => TestSupport.Export(name + ".bin", 48 * 1024);
        j.Verification = verification;
        j.Rpo = rpo;
    });

    private static async Task<HealthReportEntry> HealthAsync(ServiceProvider provider, string job) =>
        (await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync(r => r.Name == "backup:" + job)).Entries["backup:" + job];

    private static ServiceProvider Build(FakeTimeProvider time, Action<BackupBuilder> configure, InMemoryTarget? target = null) =>
        TestSupport.Build(time, configure, target: target, services: s => s.AddHealthChecks().AddBackupHealthChecks());

    [Fact]
    public async Task A_verification_every_7_days_runs_after_the_first_backup_and_again_only_once_it_is_due()
    {
        var time = new FakeTimeProvider(Start);
        using var metrics = new MetricCapture("verify-weekly");
        await using var provider = Build(time, Job("verify-weekly", new BackupVerificationOptions { Every = TimeSpan.FromDays(7), RestoreDrill = true }));
        var runner = provider.GetRequiredService<IBackupJobRunner>();

        var first = await runner.RunAsync("verify-weekly");
        time.Advance(TimeSpan.FromDays(1));
        var nextDay = await runner.RunAsync("verify-weekly");
        time.Advance(TimeSpan.FromDays(6));
        var week = await runner.RunAsync("verify-weekly");

        first.Verification!.Succeeded.Should().BeTrue(first.Verification.Message);
        first.Verification.Message.Should().Contain("check passed").And.Contain("restore drill of " + first.Snapshot!.Id.ToShortString() + " passed");
        first.Verification.RestoreDuration.Should().NotBeNull();
        nextDay.Outcome.Should().Be(BackupJobOutcome.Succeeded);
        nextDay.Verification.Should().BeNull("the last verification is one day old");
        week.Verification!.Succeeded.Should().BeTrue();
        week.Verification.Message.Should().Contain(week.Snapshot!.Id.ToShortString(), "the drill restores the snapshot just taken");

        var state = provider.GetRequiredService<IBackupJobStateStore>().GetState("verify-weekly");
        state.LastVerification.Should().Be(Start + TimeSpan.FromDays(7));
        state.LastRestoreDuration.Should().NotBeNull();
        metrics.Measurements.Where(m => m.Name == "backup.restore.rto").Should().HaveCount(2, "each drill records its achieved RTO");
        metrics.Measurements.Where(m => m.Name == "backup.verification.runs").Should().HaveCount(2).And.OnlyContain(m => (string?)m.Tags["outcome"] == "succeeded");
    }

    [Fact]
    public async Task The_verification_message_counts_in_the_right_number_for_alerts_people_read()
    {
        var time = new FakeTimeProvider(Start);
        await using var provider = Build(time, Job("verify-one", new BackupVerificationOptions { Every = TimeSpan.FromDays(7), RestoreDrill = true }));

        var first = await provider.GetRequiredService<IBackupJobRunner>().RunAsync("verify-one");

        first.Verification!.Message.Should().Contain("check passed (1 snapshot, 0 of 1 pack read)")
            .And.Contain($"restore drill of {first.Snapshot!.Id.ToShortString()} passed (1 file, 49152 bytes in ");
    }

    [Fact]
    public async Task Health_is_degraded_once_the_last_verification_is_older_than_its_policy_and_healthy_after_the_next_run()
    {
        var time = new FakeTimeProvider(Start);
        await using var provider = Build(time, Job("verify-age", new BackupVerificationOptions { Every = TimeSpan.FromDays(1) }));
        var runner = provider.GetRequiredService<IBackupJobRunner>();

        (await runner.RunAsync("verify-age")).Verification!.Succeeded.Should().BeTrue();
        (await HealthAsync(provider, "verify-age")).Status.Should().Be(HealthStatus.Healthy);

        // No RPO and no VerificationMaxAge: the policy allows a verification to be Every (1 day) old.
        time.Advance(TimeSpan.FromDays(1));
        (await HealthAsync(provider, "verify-age")).Status.Should().Be(HealthStatus.Healthy, "exactly at the allowed age");
        time.Advance(TimeSpan.FromSeconds(1));
        var stale = await HealthAsync(provider, "verify-age");
        stale.Status.Should().Be(HealthStatus.Degraded);
        stale.Description.Should().Contain("no successful verification within");

        var next = await runner.RunAsync("verify-age");
        next.Verification.Should().NotBeNull("the verification is due");
        (await HealthAsync(provider, "verify-age")).Status.Should().Be(HealthStatus.Healthy);
    }

    [Fact]
    public async Task A_read_data_check_that_finds_damage_degrades_health_and_runs_again_after_the_next_backup_however_recent()
    {
        var time = new FakeTimeProvider(Start);
        var memory = new InMemoryTarget(time);
        await using var provider = Build(time, Job("verify-damage", new BackupVerificationOptions { Every = TimeSpan.FromDays(7), ReadDataSubset = "100%" }), memory);
        var runner = provider.GetRequiredService<IBackupJobRunner>();
        (await runner.RunAsync("verify-damage")).Verification!.Succeeded.Should().BeTrue();

        // Flip a byte in the middle of every data pack; the next backup deduplicates and reads none of them.
        await foreach (var pack in memory.ListAsync("data/"))
        {
            var bytes = await memory.ReadAllAsync(pack.Key, Array.MaxLength);
            bytes[bytes.Length / 4] ^= 0xFF;
            await memory.PutAsync(pack.Key, bytes);
        }

        time.Advance(TimeSpan.FromDays(7));
        var damaged = await runner.RunAsync("verify-damage");

        damaged.Outcome.Should().Be(BackupJobOutcome.Succeeded, "a failed verification does not fail the backup");
        damaged.Verification!.Succeeded.Should().BeFalse();
        damaged.Verification.Message.Should().Contain("check found");
        var health = await HealthAsync(provider, "verify-damage");
        health.Status.Should().Be(HealthStatus.Degraded);
        health.Description.Should().Contain("the last verification failed");

        // Not due by age (1 hour of 7 days), but the last one failed: it runs again.
        time.Advance(TimeSpan.FromHours(1));
        var again = await runner.RunAsync("verify-damage");
        again.Verification!.Succeeded.Should().BeFalse();
        provider.GetRequiredService<IBackupJobStateStore>().GetState("verify-damage").LastVerification.Should().Be(time.GetUtcNow());
    }
}
