using Backup.Core.Retention;
using Backup.Core.Sources;
using Backup.Core.Storage;
using Backup.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Backup.Core;
using Backup.Core.Repository.Locks;

namespace Backup.Extensions.Tests;

public sealed class JobRetentionTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 2, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Retention_of_one_job_leaves_the_snapshots_of_another_job_in_the_same_repository_alone()
    {
        var time = new FakeTimeProvider(Start);
        await using var provider = TestSupport.Build(time, b => b
            .AddJob("export", j => j.Retention = new BackupRetentionOptions { KeepLast = 1 })
            // Same source name, host and kind as "export": without the job filter both would be one retention group.
            .AddJob("orders", j =>
            {
                j.Repository = "main";
                j.SourceFactory = _ => TestSupport.Export("export.csv", 32 * 1024);
            }));
        var runner = provider.GetRequiredService<IBackupJobRunner>();

        var orders = new List<BackupJobResult>();
        BackupJobResult? lastExport = null;
        for (var i = 0; i < 3; i++)
        {
            orders.Add(await runner.RunAsync("orders"));
            time.Advance(TimeSpan.FromHours(1));
            lastExport = await runner.RunAsync("export");
            time.Advance(TimeSpan.FromHours(1));
        }

        lastExport!.Outcome.Should().Be(BackupJobOutcome.Succeeded, lastExport.Error?.ToString());
        lastExport.Retention!.Deleted.Should().Be(1, "each run forgets the export snapshot before it");
        lastExport.Retention.Groups.SelectMany(g => g.Decisions).Should().OnlyContain(d => d.Snapshot.Metadata["backup.job"] == "export");

        var repository = await provider.GetRequiredService<IBackupRepositoryProvider>().GetAsync("main");
        var snapshots = await TestSupport.SnapshotsAsync(repository);
        snapshots.Where(s => s.Tags.Contains("job:orders")).Select(s => s.Id).Should().BeEquivalentTo(orders.Select(r => r.Snapshot!.Id));
        snapshots.Where(s => s.Tags.Contains("job:export")).Select(s => s.Id).Should().Equal(lastExport.Snapshot!.Id);
    }

    [Fact]
    public async Task Retention_from_configuration_binds_every_rule_and_prunes_when_asked()
    {
        var time = new FakeTimeProvider(Start);
        var logs = new LogCapture();
        await using var provider = TestSupport.Build(time, logs: logs, settings: new Dictionary<string, string?>
        {
            ["Backup:Jobs:export:TimeZone"] = "Europe/Berlin",
            ["Backup:Jobs:export:Retention:KeepLast"] = "1",
            // One daily slot, used by the second snapshot: with slots left over the oldest would be kept too (restic 0.16).
            ["Backup:Jobs:export:Retention:KeepDaily"] = "1",
            ["Backup:Jobs:export:Retention:KeepWithin"] = "02:00:00",
            ["Backup:Jobs:export:Retention:KeepTags:0:0"] = "legal",
            ["Backup:Jobs:export:Retention:KeepTags:0:1"] = "hold",
            ["Backup:Jobs:export:Retention:Prune"] = "true",
        });
        var job = provider.GetRequiredService<IOptions<BackupHostingOptions>>().Value.Jobs["export"];
        job.Retention!.KeepTags.Should().ContainSingle().Which.Should().Equal("legal", "hold");
        var policy = job.Retention.ToPolicy(job.TimeZone);
        policy.KeepLast.Should().Be(1);
        policy.KeepDaily.Should().Be(1);
        policy.KeepWithin.Should().Be(RetentionDuration.FromTimeSpan(TimeSpan.FromHours(2)));
        policy.TimeZone.Id.Should().Be("Europe/Berlin", "the retention's days default to the job's time zone");

        var runner = provider.GetRequiredService<IBackupJobRunner>();
        (await runner.RunAsync("export")).Outcome.Should().Be(BackupJobOutcome.Succeeded);
        time.Advance(TimeSpan.FromHours(3));
        var second = await runner.RunAsync("export");

        second.Outcome.Should().Be(BackupJobOutcome.Succeeded, second.Error?.ToString());
        second.Retention!.Deleted.Should().Be(1, "the first snapshot is outside KeepWithin and KeepLast, and shares its day with the second");
        logs.Messages.Should().Contain(m => m.Contains("pruned repository main", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Keep_within_durations_bind_from_restic_style_calendar_units_and_time_spans_and_from_code()
    {
        await using var provider = TestSupport.Build(settings: new Dictionary<string, string?>
        {
            ["Backup:Jobs:export:Retention:KeepWithin"] = "1y6m",
            ["Backup:Jobs:export:Retention:KeepWithinHourly"] = "36h",
            ["Backup:Jobs:export:Retention:KeepWithinDaily"] = "14d",
            ["Backup:Jobs:export:Retention:KeepWithinWeekly"] = "2w",
            ["Backup:Jobs:export:Retention:KeepWithinMonthly"] = "2m",
            ["Backup:Jobs:export:Retention:KeepWithinYearly"] = "7.00:00:00",
        });

        var retention = provider.GetRequiredService<IOptions<BackupHostingOptions>>().Value.Jobs["export"].Retention!;
        retention.KeepWithin.Should().Be(new RetentionDuration(1, 6, 0, TimeSpan.Zero));
        retention.KeepWithinHourly.Should().Be(new RetentionDuration(0, 0, 0, TimeSpan.FromHours(36)));
        retention.KeepWithinDaily.Should().Be(new RetentionDuration(0, 0, 14, TimeSpan.Zero));
        retention.KeepWithinWeekly.Should().Be(new RetentionDuration(0, 0, 14, TimeSpan.Zero));
        retention.KeepWithinMonthly.Should().Be(new RetentionDuration(0, 2, 0, TimeSpan.Zero), "two calendar months, not 60 days");
        retention.KeepWithinYearly.Should().Be(RetentionDuration.FromTimeSpan(TimeSpan.FromDays(7)), "a TimeSpan written as before still binds");
        retention.ToPolicy().KeepWithinMonthly.Should().Be(new RetentionDuration(0, 2, 0, TimeSpan.Zero));

        // Code written against the TimeSpan properties still compiles: a TimeSpan converts into an exact duration.
        var fromCode = new BackupRetentionOptions { KeepWithin = TimeSpan.FromDays(7), KeepWithinDaily = new RetentionDuration(0, 1, 0, TimeSpan.Zero) };
        fromCode.ToPolicy().KeepWithin.Should().Be(RetentionDuration.FromTimeSpan(TimeSpan.FromDays(7)));
        fromCode.ToPolicy().KeepWithinDaily!.Value.Months.Should().Be(1);
    }

    [Fact]
    public async Task Retention_does_not_run_after_a_partial_backup()
    {
        var time = new FakeTimeProvider(Start);
        await using var provider = TestSupport.Build(time, b => b.AddJob("export", j =>
        {
            j.Retention = new BackupRetentionOptions { KeepLast = 1 };
            j.SourceFactory = _ => new PartialSource(TestSupport.Export("export.csv", 1024));
        }));
        var runner = provider.GetRequiredService<IBackupJobRunner>();

        var first = await runner.RunAsync("export");
        time.Advance(TimeSpan.FromHours(1));
        var second = await runner.RunAsync("export");

        first.Outcome.Should().Be(BackupJobOutcome.Partial);
        second.Outcome.Should().Be(BackupJobOutcome.Partial);
        second.Retention.Should().BeNull();
        var repository = await provider.GetRequiredService<IBackupRepositoryProvider>().GetAsync("main");
        (await TestSupport.SnapshotsAsync(repository)).Should().HaveCount(2, "KeepLast 1 would have forgotten the first");
    }

    /// <summary>Reports one unreadable entry, so every snapshot is partial.</summary>
    private sealed class PartialSource(IBackupSource inner) : IBackupSource
    {
        public string Kind => inner.Kind;

        public IReadOnlyList<string> Paths => inner.Paths;

        public IAsyncEnumerable<SourceEntry> ReadEntriesAsync(SourceContext context, CancellationToken cancellationToken = default)
        {
            context.ReportProblem("locked.db", "sharing violation");
            return inner.ReadEntriesAsync(context, cancellationToken);
        }
    }

    [Fact]
    public void An_empty_retention_policy_in_code_fails_validation_naming_the_setting()
    {
        using var provider = TestSupport.Build(configure: b => b.AddJob("export", j => j.Retention = new BackupRetentionOptions { Prune = true }));

        var resolve = () => provider.GetRequiredService<IOptions<BackupHostingOptions>>().Value;

        resolve.Should().Throw<OptionsValidationException>().WithMessage("*Backup:Jobs:export:Retention: The retention policy has no rule*");
    }

    [Fact]
    public async Task Prune_that_finds_the_repository_locked_is_skipped_and_the_run_still_succeeds()
    {
        var time = new FakeTimeProvider(Start);
        var memory = new InMemoryTarget(time);
        var logs = new LogCapture();
        await using var provider = TestSupport.Build(time, b => b.AddJob("export", j => j.Retention = new BackupRetentionOptions { KeepLast = 1, Prune = true }), logs: logs, target: memory);
        var runner = provider.GetRequiredService<IBackupJobRunner>();
        (await runner.RunAsync("export")).Outcome.Should().Be(BackupJobOutcome.Succeeded);
        time.Advance(TimeSpan.FromHours(1));

        // Another writer (e.g. a second job's backup) holds a shared lock for the whole run.
        await using var other = await Backup.Core.BackupRepository.OpenAsync(memory, TestSupport.FastCredentials());
        await using (await Backup.Core.Repository.Locks.RepositoryLock.AcquireAsync(other.Locks, exclusive: false, "backup", timeProvider: time))
        {
            var second = await runner.RunAsync("export");

            second.Outcome.Should().Be(BackupJobOutcome.Succeeded, second.Error?.ToString());
            second.Retention!.Deleted.Should().Be(1);
        }

        logs.Messages.Should().Contain(m => m.Contains("prune of repository main skipped", StringComparison.Ordinal));

        // Once the lock is gone, the next run prunes.
        time.Advance(TimeSpan.FromHours(1));
        (await runner.RunAsync("export")).Outcome.Should().Be(BackupJobOutcome.Succeeded);
        logs.Messages.Should().Contain(m => m.Contains("pruned repository main", StringComparison.Ordinal));
    }
}
