using Backup.Core.Replication;
using Backup.Core.Repository;
using Backup.Core.Storage;
using Backup.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Time.Testing;
using Backup.Core;

namespace Backup.Extensions.Tests;

public sealed class JobCopyTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 2, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Each_new_snapshot_is_copied_to_a_second_local_repository()
    {
        var primary = Directory.CreateTempSubdirectory("backup-di-copy-main-");
        var secondary = Directory.CreateTempSubdirectory("backup-di-copy-offsite-");
        try
        {
            var time = new FakeTimeProvider(Start);
            await using var provider = TestSupport.Build(time, b => b
                .AddRepository("main", r => r.TargetFactory = _ => new LocalDirectoryTarget(primary.FullName))
                .AddRepository("offsite", r =>
                {
                    r.Path = secondary.FullName;
                    r.CreateIfMissing = true;
                    r.Retry = false;
                    r.KeySource = _ => TestSupport.FastKey();
                })
                .AddJob("export", j => j.CopyTo.Add("offsite")));
            var runner = provider.GetRequiredService<IBackupJobRunner>();

            var first = await runner.RunAsync("export");
            time.Advance(TimeSpan.FromHours(1));
            var second = await runner.RunAsync("export");

            foreach (var result in new[] { first, second })
            {
                result.Outcome.Should().Be(BackupJobOutcome.Succeeded, result.Error?.ToString());
                result.CopyFailed.Should().BeFalse();
                var copy = result.Copies.Should().ContainSingle().Subject;
                copy.Repository.Should().Be("offsite");
                copy.Succeeded.Should().BeTrue(copy.Error?.ToString());
                copy.Copy!.Time.Should().Be(result.Snapshot!.Time);
                copy.Copy.Metadata.Should().Contain("backup.job", "export").And.ContainKey(RepositoryCopier.OriginKey);
            }

            first.Copies![0].BytesStored.Should().BeGreaterThan(0);
            var offsite = await provider.GetRequiredService<IBackupRepositoryProvider>().GetAsync("offsite");
            (await TestSupport.SnapshotsAsync(offsite)).Select(s => s.Id).Should().BeEquivalentTo([first.Copies[0].Copy!.Id, second.Copies![0].Copy!.Id]);
            Directory.EnumerateFiles(secondary.FullName, "*", SearchOption.AllDirectories).Should().Contain(f => f.Contains("data", StringComparison.Ordinal));
        }
        finally
        {
            primary.Delete(recursive: true);
            secondary.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_failing_secondary_is_reported_without_losing_the_primary_snapshot_and_the_next_copy_catches_up()
    {
        var time = new FakeTimeProvider(Start);
        var offsiteStore = new InMemoryTarget(time);
        await (await BackupRepository.InitAsync(offsiteStore, TestSupport.FastCredentials())).DisposeAsync();
        var faulty = new FaultInjectingTarget(offsiteStore);
        using var metrics = new MetricCapture("copy-faulty");
        await using var provider = TestSupport.Build(time, b => b
                .AddRepository("offsite", r =>
                {
                    r.TargetFactory = _ => faulty;
                    r.Retry = false;
                    r.KeySource = _ => TestSupport.FastKey();
                })
                .AddJob("copy-faulty", j =>
                {
                    j.Repository = "main";
                    j.SourceFactory = _ => TestSupport.Export("orders.csv", 40 * 1024);
                    j.CopyTo.Add("offsite");
                    j.Rpo = TimeSpan.FromDays(1);
                }),
            services: s => s.AddHealthChecks().AddBackupHealthChecks());
        var runner = provider.GetRequiredService<IBackupJobRunner>();
        var events = new List<BackupJobEvent>();
        runner.JobEvent += (_, e) => events.Add(e);
        faulty.FailCall(TargetOperation.Put, 1, transient: false);

        var failed = await runner.RunAsync("copy-faulty");

        failed.Outcome.Should().Be(BackupJobOutcome.Succeeded, "the primary snapshot is complete");
        failed.CopyFailed.Should().BeTrue();
        failed.Copies![0].Error!.Message.Should().Contain("Injected fault");
        var main = await provider.GetRequiredService<IBackupRepositoryProvider>().GetAsync("main");
        (await TestSupport.SnapshotsAsync(main)).Select(s => s.Id).Should().Contain(failed.Snapshot!.Id);
        events.Last().Result!.CopyFailed.Should().BeTrue("notification sinks see the failed copy");
        metrics.Measurements.Should().Contain(m => m.Name == "backup.copy.runs" && (string?)m.Tags["outcome"] == "failed" && (string?)m.Tags["backup.repository"] == "offsite");
        var health = (await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync(r => r.Name == "backup:copy-faulty")).Entries["backup:copy-faulty"];
        health.Status.Should().Be(HealthStatus.Degraded);
        health.Description.Should().Contain("copy").And.Contain("offsite");

        // The next run copies; then one copy fails again, and the run after it copies both snapshots it missed.
        time.Advance(TimeSpan.FromHours(1));
        var copied = await runner.RunAsync("copy-faulty");
        copied.CopyFailed.Should().BeFalse(copied.Copies![0].Error?.ToString());
        (await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync(r => r.Name == "backup:copy-faulty")).Status.Should().Be(HealthStatus.Healthy);

        faulty.FailCall(TargetOperation.Put, faulty.CountOf(TargetOperation.Put) + 1, transient: false);
        time.Advance(TimeSpan.FromHours(1));
        (await runner.RunAsync("copy-faulty")).CopyFailed.Should().BeTrue();
        time.Advance(TimeSpan.FromHours(1));
        var caughtUp = await runner.RunAsync("copy-faulty");

        caughtUp.CopyFailed.Should().BeFalse();
        var offsite = await provider.GetRequiredService<IBackupRepositoryProvider>().GetAsync("offsite");
        (await TestSupport.SnapshotsAsync(offsite)).Select(s => s.Time).Should().BeEquivalentTo(
            [Start + TimeSpan.FromHours(1), Start + TimeSpan.FromHours(2), Start + TimeSpan.FromHours(3)],
            "the first snapshot was never copied (no copy existed yet); the third is caught up by the fourth run");
        metrics.Measurements.Where(m => m.Name == "backup.copy.runs").Select(m => (string?)m.Tags["outcome"]).Should().Equal("failed", "succeeded", "failed", "succeeded");
    }

    /// <summary>
    /// Someone who may write to the off-site repository (its key, not the primary's) adds a "copy" of the job dated far
    /// ahead: catch-up starts after the newest copy, so every copy that fails from then on would never be made up for.
    /// </summary>
    [Fact]
    public async Task A_forged_copy_dated_ahead_in_the_destination_does_not_stop_the_catch_up()
    {
        var time = new FakeTimeProvider(Start);
        var offsiteStore = new InMemoryTarget(time);
        await (await BackupRepository.InitAsync(offsiteStore, TestSupport.FastCredentials())).DisposeAsync();
        var faulty = new FaultInjectingTarget(offsiteStore);
        await using var provider = TestSupport.Build(time, b => b
            .AddRepository("offsite", r =>
            {
                r.TargetFactory = _ => faulty;
                r.Retry = false;
                r.KeySource = _ => TestSupport.FastKey();
            })
            .AddJob("forged", j =>
            {
                j.Repository = "main";
                j.SourceFactory = _ => TestSupport.Export("orders.csv", 40 * 1024);
                j.CopyTo.Add("offsite");
            }));
        var runner = provider.GetRequiredService<IBackupJobRunner>();
        var first = await runner.RunAsync("forged");
        var genuine = first.Copies!.Single().Copy!;

        await using (var attacker = await BackupRepository.OpenAsync(offsiteStore, TestSupport.FastCredentials()))
        {
            var metadata = new Dictionary<string, string>(genuine.Metadata) { [RepositoryCopier.OriginKey] = "0123:4567" };
            await attacker.Snapshots.SaveAsync(genuine with { Time = Start + TimeSpan.FromDays(365), Metadata = metadata });
        }

        faulty.FailCall(TargetOperation.Put, faulty.CountOf(TargetOperation.Put) + 1, transient: false);
        time.Advance(TimeSpan.FromHours(1));
        (await runner.RunAsync("forged")).CopyFailed.Should().BeTrue();
        time.Advance(TimeSpan.FromHours(1));
        (await runner.RunAsync("forged")).CopyFailed.Should().BeFalse();

        var offsite = await provider.GetRequiredService<IBackupRepositoryProvider>().GetAsync("offsite");
        (await TestSupport.SnapshotsAsync(offsite)).Where(s => s.Time < Start + TimeSpan.FromDays(1)).Select(s => s.Time).Should().BeEquivalentTo(
            [Start, Start + TimeSpan.FromHours(1), Start + TimeSpan.FromHours(2)], "the snapshot whose copy failed is caught up by the next run");
    }
}
