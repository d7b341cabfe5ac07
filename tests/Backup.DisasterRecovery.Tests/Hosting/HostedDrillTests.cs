using System.Diagnostics.Metrics;
using Backup.DisasterRecovery.Tests.Reports;
using Backup.Extensions.DependencyInjection;
using Backup.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Backup.DisasterRecovery.Tests.Hosting;

public class HostedDrillTests
{
    private static readonly DateTimeOffset Now = ReportFixture.Day1.AddDays(2).AddHours(1);

    [Fact]
    public async Task Health_per_system_is_unhealthy_past_its_rpo_and_degraded_by_a_failed_old_or_slow_drill()
    {
        await using var fixture = await ReportFixture.CreateAsync(Now, configure: builder =>
        {
            builder.Services.AddSingleton<IRecoveryDrillRunner>(new FakeDrillRunner(TimeProvider.System, TimeSpan.FromMinutes(1)));
            builder.Services.AddHealthChecks().AddDisasterRecoveryHealthChecks();
        });
        var health = fixture.Services.GetRequiredService<HealthCheckService>();
        var jobs = fixture.Services.GetRequiredService<IBackupJobStateStore>();

        // No snapshot of wiki's job yet: nothing to recover.
        var report = await health.CheckHealthAsync();
        report.Entries.Keys.Should().BeEquivalentTo("dr:shop", "dr:wiki");
        report.Entries["dr:wiki"].Status.Should().Be(HealthStatus.Unhealthy);
        report.Entries["dr:wiki"].Description.Should().Be("System 'wiki': job 'wiki-files' has no successful snapshot.");

        // Within the RPOs; shop's last stored drill failed, wiki's took 12m against an RTO of 10m.
        SetLastSuccess(jobs, "shop-db", Now.AddHours(-1));
        SetLastSuccess(jobs, "wiki-files", Now.AddMinutes(-30));
        report = await health.CheckHealthAsync();
        report.Entries["dr:shop"].Status.Should().Be(HealthStatus.Degraded);
        report.Entries["dr:shop"].Description.Should().Be("System 'shop': the last drill failed at step 'Switch DNS': HTTP 503 from the DNS API");
        report.Entries["dr:shop"].Data["lastDrillSucceeded"].Should().Be(false);
        report.Entries["dr:shop"].Data["achievedRtoSeconds"].Should().Be(180.0);
        report.Entries["dr:wiki"].Status.Should().Be(HealthStatus.Degraded);
        report.Entries["dr:wiki"].Description.Should().Be("System 'wiki': the last drill took 12m, over its RTO of 10m.");

        // A successful drill of shop within its RTO: healthy.
        var history = fixture.Services.GetRequiredService<RecoveryDrillHistory>();
        history.Record(ReportFixture.Drill("shop", Now, TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(40), fixture.Plan.Systems["shop"]));
        (await health.CheckHealthAsync()).Entries["dr:shop"].Status.Should().Be(HealthStatus.Healthy);

        // The oldest of its jobs' newest snapshots past the RPO: unhealthy, whatever the drills say.
        fixture.Plan.Systems["shop"].Jobs.Add("wiki-files");
        SetLastSuccess(jobs, "wiki-files", Now.AddHours(-7));
        var unhealthy = (await health.CheckHealthAsync()).Entries["dr:shop"];
        unhealthy.Status.Should().Be(HealthStatus.Unhealthy);
        unhealthy.Description.Should().Be("System 'shop': its recovery point is 7h old, over its RPO of 6h.");
        unhealthy.Data["ageSeconds"].Should().Be(25200.0);
        fixture.Plan.Systems["shop"].Jobs.Remove("wiki-files");

        // Eight days later, with fresh snapshots: the last successful drill is older than the policy's 7 days.
        fixture.Time.Advance(TimeSpan.FromDays(8));
        SetLastSuccess(jobs, "shop-db", fixture.Time.GetUtcNow().AddMinutes(-5));
        var stale = (await health.CheckHealthAsync()).Entries["dr:shop"];
        stale.Status.Should().Be(HealthStatus.Degraded);
        stale.Description.Should().Be("System 'shop': no successful drill within 7d.");
    }

    [Fact]
    public async Task Health_names_what_the_last_drill_warned_of_without_changing_the_status()
    {
        await using var fixture = await ReportFixture.CreateAsync(Now, configure: builder => builder.Services.AddHealthChecks().AddDisasterRecoveryHealthChecks());
        var health = fixture.Services.GetRequiredService<HealthCheckService>();
        SetLastSuccess(fixture.Services.GetRequiredService<IBackupJobStateStore>(), "shop-db", Now.AddHours(-1));
        const string warning = "The server 'Host=standby' lacks role 'shop_reader' that the snapshot's grants name.";
        await fixture.Services.GetRequiredService<RecoveryDrillHistory>().GetAsync("shop", CancellationToken.None);
        fixture.Services.GetRequiredService<RecoveryDrillHistory>().Record(ReportFixture.WithWarning(ReportFixture.Drill("shop", Now, TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(40), fixture.Plan.Systems["shop"]), warning));

        var shop = (await health.CheckHealthAsync()).Entries["dr:shop"];

        shop.Status.Should().Be(HealthStatus.Healthy, "the step passed; a recovery server that cannot be asked before a disaster would otherwise keep the system degraded for good");
        shop.Description.Should().Be($"System 'shop' is within its objectives; its last drill warned: step 'Restore': {warning}");
        shop.Data["lastDrillWarnings"].Should().BeEquivalentTo(new[] { $"step 'Restore': {warning}" });

        // A drill without warnings after it: none left over.
        fixture.Services.GetRequiredService<RecoveryDrillHistory>().Record(ReportFixture.Drill("shop", Now.AddMinutes(5), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(40), fixture.Plan.Systems["shop"]));
        shop = (await health.CheckHealthAsync()).Entries["dr:shop"];
        shop.Description.Should().Be("System 'shop' is within its objectives.");
        shop.Data.Should().NotContainKey("lastDrillWarnings");
    }

    [Fact]
    public async Task Scheduled_drills_run_at_their_cron_occurrences_and_the_gauges_show_what_the_newest_successful_drill_achieved()
    {
        FakeDrillRunner? runner = null;
        await using var fixture = await ReportFixture.CreateAsync(Now, configure: builder =>
            builder.Services.AddSingleton<IRecoveryDrillRunner>(sp => runner = new FakeDrillRunner(sp.GetRequiredService<TimeProvider>(), TimeSpan.FromSeconds(100))));
        fixture.Plan.Systems["shop"].Drill.Schedule = "0 3 * * *";
        var scheduler = fixture.Services.GetRequiredService<RecoveryDrillScheduler>();
        using var gauges = new GaugeReader(scheduler.Telemetry.Meter);

        await scheduler.StartAsync(CancellationToken.None);
        try
        {
            await WaitUntilAsync(() => scheduler.Waiting == 1);
            scheduler.NextWakeup("shop").Should().Be(ReportFixture.Day1.AddDays(3), "the next 03:00 UTC after 04:00");
            scheduler.NextWakeup("wiki").Should().BeNull("wiki has no drill schedule");

            // Read at start from the repository: shop's newest successful drill took 3m and restored data 2h old.
            gauges.Read().Should().BeEquivalentTo(new Dictionary<string, double>
            {
                ["backup.dr.rto.achieved/shop"] = 180,
                ["backup.dr.rpo.achieved/shop"] = 7200,
                ["backup.dr.rto.achieved/wiki"] = 720,
                ["backup.dr.rpo.achieved/wiki"] = 1800,
            });

            fixture.Time.Advance(TimeSpan.FromHours(23).Subtract(TimeSpan.FromSeconds(1)));
            runner!.Calls.Should().BeEmpty("the occurrence has not come yet");
            fixture.Time.Advance(TimeSpan.FromSeconds(1));
            await runner.WaitForCallAsync();
            runner.Calls.Should().Equal("shop");

            // The drill's result is taken in: the gauges and the next occurrence follow.
            await WaitUntilAsync(() => scheduler.NextWakeup("shop") == ReportFixture.Day1.AddDays(4));
            var read = gauges.Read();
            read["backup.dr.rto.achieved/shop"].Should().Be(100);
            read["backup.dr.rpo.achieved/shop"].Should().Be(1200);
            fixture.Services.GetRequiredService<RecoveryDrillHistory>().GetKnown("shop").Last!.StartedAt.Should().Be(ReportFixture.Day1.AddDays(3));
        }
        finally
        {
            await scheduler.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>
    /// Waiting is what lets a test move a fake clock: a loop counted as waiting before its timer was registered had its
    /// timer armed from the moved clock, a day late. A thread preempted between the two does it on a loaded machine; a
    /// clock whose timers take a moment to register does it every time.
    /// </summary>
    [Fact]
    public async Task A_system_counts_as_waiting_only_once_its_timer_is_registered()
    {
        FakeDrillRunner? runner = null;
        await using var fixture = await ReportFixture.CreateAsync(Now, configure: builder =>
        {
            builder.Services.AddSingleton<IRecoveryDrillRunner>(sp => runner = new FakeDrillRunner(sp.GetRequiredService<TimeProvider>(), TimeSpan.FromSeconds(100)));
            var fake = builder.Services.Select(d => d.ImplementationInstance).OfType<Microsoft.Extensions.Time.Testing.FakeTimeProvider>().Single();
            builder.Services.AddSingleton<TimeProvider>(new SlowToArmTimeProvider(fake));
        });
        fixture.Plan.Systems["shop"].Drill.Schedule = "0 3 * * *";
        var scheduler = fixture.Services.GetRequiredService<RecoveryDrillScheduler>();

        await scheduler.StartAsync(CancellationToken.None);
        try
        {
            await WaitUntilAsync(() => scheduler.Waiting == 1);
            fixture.Time.Advance(TimeSpan.FromHours(23));

            await runner!.WaitForCallAsync();
            runner.Calls.Should().Equal("shop");
        }
        finally
        {
            await scheduler.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>
    /// A clock stepped back after a drill (NTP correcting an hour, an operator fixing the time) shows a time before the
    /// occurrence the drill ran for again. The next occurrence is the one after the later of now and the occurrence last
    /// drilled, as the backup scheduler does: a due time is drilled once, not once more when the clock shows it again.
    /// </summary>
    [Fact]
    public async Task A_clock_stepped_back_after_a_drill_does_not_drill_the_same_occurrence_again()
    {
        // Only the first drill: the clock is stepped back once.
        var (fixture, clock, runner) = await WithClockSteppedBackDuringTheFirstDrillAsync(TimeSpan.FromHours(1));
        await using var _ = fixture;
        var scheduler = fixture.Services.GetRequiredService<RecoveryDrillScheduler>();

        await scheduler.StartAsync(CancellationToken.None);
        try
        {
            var occurrence = ReportFixture.Day1.AddDays(3);
            await WaitUntilAsync(() => scheduler.Waiting == 1);
            scheduler.NextWakeup("shop").Should().Be(occurrence);
            fixture.Time.Advance(TimeSpan.FromHours(23));
            await runner.WaitForCallAsync();

            // The clock now shows 02:00, before the 03:00 just drilled: the next drill is tomorrow's.
            await WaitUntilAsync(() => scheduler.Waiting == 1);
            clock.GetUtcNow().Should().Be(occurrence.AddHours(-1));
            scheduler.NextWakeup("shop").Should().Be(occurrence.AddDays(1), "the occurrence at 03:00 today was drilled already");

            // And it comes when the (corrected) clock shows it, once.
            fixture.Time.Advance(TimeSpan.FromHours(25));
            await runner.WaitForCallAsync();
            runner.Calls.Should().Equal("shop", "shop");
            fixture.Services.GetRequiredService<RecoveryDrillHistory>().GetKnown("shop").Last!.StartedAt.Should().Be(occurrence.AddDays(1));
        }
        finally
        {
            await scheduler.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>
    /// A clock that ran far ahead (a virtual machine resumed with a wrong clock, a bad time server) has the scheduler drill
    /// the occurrence it shows; once the clock is corrected, that occurrence lies a month ahead. Not drilling an
    /// occurrence twice must not mean waiting for it: a clock stepped back by more than one interval of the schedule was
    /// wrong before, and the next drill is the next occurrence the corrected clock shows.
    /// </summary>
    [Fact]
    public async Task A_clock_corrected_back_by_a_month_after_a_drill_drills_again_at_the_next_occurrence_not_in_a_month()
    {
        // The clock was 30 days ahead when the first drill ran and is corrected during it.
        var (fixture, clock, runner) = await WithClockSteppedBackDuringTheFirstDrillAsync(TimeSpan.FromDays(30));
        await using var _ = fixture;
        var scheduler = fixture.Services.GetRequiredService<RecoveryDrillScheduler>();

        await scheduler.StartAsync(CancellationToken.None);
        try
        {
            var occurrence = ReportFixture.Day1.AddDays(3);
            await WaitUntilAsync(() => scheduler.Waiting == 1);
            fixture.Time.Advance(TimeSpan.FromHours(23));
            await runner.WaitForCallAsync();

            await WaitUntilAsync(() => scheduler.Waiting == 1);
            clock.GetUtcNow().Should().Be(occurrence.AddDays(-30));
            scheduler.NextWakeup("shop").Should().Be(occurrence.AddDays(-29), "the corrected clock's next 03:00, not the day after the wrong clock's");
        }
        finally
        {
            await scheduler.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>
    /// A host restarted with its clock behind (not yet synchronised after boot, a virtual machine restored from a
    /// snapshot) knows what it drilled only from the repository. Shop's newest stored drill ran at 03:00 today (it
    /// failed, but it ran); the clock now shows 02:00: the next drill is tomorrow's, not a second one against the data today.
    /// </summary>
    [Fact]
    public async Task A_restart_with_the_clock_behind_the_newest_stored_drill_does_not_drill_that_occurrence_again()
    {
        var (fixture, clock, runner) = await RestartedWithClockSteppedBackAsync(TimeSpan.FromHours(2));
        await using var _ = fixture;
        var scheduler = fixture.Services.GetRequiredService<RecoveryDrillScheduler>();

        await scheduler.StartAsync(CancellationToken.None);
        try
        {
            var drilled = ReportFixture.Day1.AddDays(2);
            await WaitUntilAsync(() => scheduler.Waiting == 1);
            clock.GetUtcNow().Should().Be(drilled.AddHours(-1));
            scheduler.NextWakeup("shop").Should().Be(drilled.AddDays(1), "the occurrence at 03:00 today was drilled before the restart");
            runner.Calls.Should().BeEmpty();
        }
        finally
        {
            await scheduler.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>
    /// The newest stored drill was run while the clock stood a month ahead; after a restart the clock is right. The next
    /// drill is the corrected clock's next 03:00, not the day after the stored drill.
    /// </summary>
    [Fact]
    public async Task A_restart_after_a_drill_dated_a_month_ahead_drills_at_the_corrected_clocks_next_occurrence()
    {
        var (fixture, clock, runner) = await RestartedWithClockSteppedBackAsync(TimeSpan.FromDays(30));
        await using var _ = fixture;
        var scheduler = fixture.Services.GetRequiredService<RecoveryDrillScheduler>();

        await scheduler.StartAsync(CancellationToken.None);
        try
        {
            await WaitUntilAsync(() => scheduler.Waiting == 1);
            clock.GetUtcNow().Should().Be(Now.AddDays(-30));
            scheduler.NextWakeup("shop").Should().Be(ReportFixture.Day1.AddDays(3 - 30), "the corrected clock's next 03:00, a day away, not the day after the stored drill");
            runner.Calls.Should().BeEmpty();
        }
        finally
        {
            await scheduler.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>
    /// A new host over the fixture's repository (its stored drills of 'shop' end at 03:00 on day 3, an hour before
    /// <see cref="Now"/>), drilling 'shop' daily at 03:00, with its clock stepped back by <paramref name="stepBack"/> before it starts.
    /// </summary>
    private static async Task<(ReportFixture Fixture, SteppableTimeProvider Clock, FakeDrillRunner Runner)> RestartedWithClockSteppedBackAsync(TimeSpan stepBack)
    {
        SteppableTimeProvider? clock = null;
        var fixture = await ReportFixture.CreateAsync(Now, configure: builder =>
        {
            var fake = builder.Services.Select(d => d.ImplementationInstance).OfType<Microsoft.Extensions.Time.Testing.FakeTimeProvider>().Single();
            clock = new SteppableTimeProvider(fake);
            builder.Services.AddSingleton<TimeProvider>(clock);
            builder.Services.AddSingleton<IRecoveryDrillRunner>(_ => new FakeDrillRunner(clock, TimeSpan.FromSeconds(100)));
        });
        fixture.Plan.Systems["shop"].Drill.Schedule = "0 3 * * *";
        clock!.StepBack(stepBack);
        return (fixture, clock, (FakeDrillRunner)fixture.Services.GetRequiredService<IRecoveryDrillRunner>());
    }

    /// <summary>
    /// A fixture drilling 'shop' daily at 03:00 on a clock that is stepped back by <paramref name="stepBack"/> during the
    /// first drill only, with its drill runner.
    /// </summary>
    private static async Task<(ReportFixture Fixture, SteppableTimeProvider Clock, FakeDrillRunner Runner)> WithClockSteppedBackDuringTheFirstDrillAsync(TimeSpan stepBack)
    {
        SteppableTimeProvider? clock = null;
        var steppedBack = 0;
        var fixture = await ReportFixture.CreateAsync(Now, configure: builder =>
        {
            var fake = builder.Services.Select(d => d.ImplementationInstance).OfType<Microsoft.Extensions.Time.Testing.FakeTimeProvider>().Single();
            clock = new SteppableTimeProvider(fake);
            builder.Services.AddSingleton<TimeProvider>(clock);
            builder.Services.AddSingleton<IRecoveryDrillRunner>(_ => new FakeDrillRunner(clock, TimeSpan.FromSeconds(100), whileRunning: () =>
            {
                if (Interlocked.Increment(ref steppedBack) == 1)
                {
                    clock.StepBack(stepBack);
                }
            }));
        });
        fixture.Plan.Systems["shop"].Drill.Schedule = "0 3 * * *";
        return (fixture, clock!, (FakeDrillRunner)fixture.Services.GetRequiredService<IRecoveryDrillRunner>());
    }

    /// <summary>
    /// The scheduler reads the stored drills at start, before any job has run. A repository that is not there yet (its
    /// CreateIfMissing is for the jobs' first runs) holds no drill: the read must not create it, nor its directory, and
    /// the clock decides the first drill. One without CreateIfMissing is reported as missing, not created either.
    /// </summary>
    [Fact]
    public async Task Reading_the_stored_drills_at_start_creates_no_repository()
    {
        await using var fixture = await ReportFixture.CreateAsync(Now, storeDrills: false, configure: builder =>
            builder.Services.AddSingleton<IRecoveryDrillRunner>(sp => new FakeDrillRunner(sp.GetRequiredService<TimeProvider>(), TimeSpan.FromSeconds(100))));
        fixture.Plan.Systems["shop"].Drill.Schedule = "0 3 * * *";
        var old = new RecoverySystem { Tier = 3 };
        old.Jobs.Add("old-files");
        fixture.Plan.Systems["old"] = old;
        var location = fixture.Plan.Backup.Repositories["main"].Location!;
        var missingLocation = fixture.Plan.Backup.Repositories["missing"].Location!;
        var scheduler = fixture.Services.GetRequiredService<RecoveryDrillScheduler>();

        await scheduler.StartAsync(CancellationToken.None);
        try
        {
            await WaitUntilAsync(() => scheduler.Waiting == 1);
            scheduler.NextWakeup("shop").Should().Be(ReportFixture.Day1.AddDays(3), "with no stored drill the clock decides: the next 03:00");
            Directory.Exists(location).Should().BeFalse("reading the drills of a repository that is not there yet must not create it");
        }
        finally
        {
            await scheduler.StopAsync(CancellationToken.None);
        }

        var history = fixture.Services.GetRequiredService<RecoveryDrillHistory>();
        (await history.GetAsync("shop", CancellationToken.None)).Should().Be(RecoveryDrillState.None);
        Directory.Exists(location).Should().BeFalse();
        var missing = () => history.GetAsync("old", CancellationToken.None);
        (await missing.Should().ThrowAsync<Backup.Core.Repository.RepositoryNotFoundException>()).Which.Message.Should().Contain("CreateIfMissing");
        Directory.Exists(missingLocation).Should().BeFalse();
    }

    [Fact]
    public async Task No_drill_runs_when_the_hosts_scheduler_is_disabled()
    {
        FakeDrillRunner? runner = null;
        await using var fixture = await ReportFixture.CreateAsync(Now, configure: builder =>
        {
            builder.Services.AddSingleton<IRecoveryDrillRunner>(sp => runner = new FakeDrillRunner(sp.GetRequiredService<TimeProvider>(), TimeSpan.FromSeconds(100)));
            // After the plan's own settings, which RecoveryPlanServices copies in.
            builder.Services.PostConfigure<BackupHostingOptions>(o => o.Scheduler = new BackupSchedulerOptions { Enabled = false });
        });
        fixture.Plan.Systems["shop"].Drill.Schedule = "* * * * *";
        var scheduler = fixture.Services.GetRequiredService<RecoveryDrillScheduler>();

        await scheduler.StartAsync(CancellationToken.None);
        await scheduler.ExecuteTask!.WaitAsync(TimeSpan.FromSeconds(30));

        scheduler.Waiting.Should().Be(0);
        runner!.Calls.Should().BeEmpty();
    }

    private static void SetLastSuccess(IBackupJobStateStore store, string job, DateTimeOffset time) =>
        store.UpdateState(job, s => s with { LastSuccess = time });

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }

    /// <summary>A fake clock whose timers take a moment to register, as when the thread arming one is preempted.</summary>
    private sealed class SlowToArmTimeProvider(TimeProvider inner) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => inner.GetUtcNow();

        public override long GetTimestamp() => inner.GetTimestamp();

        public override long TimestampFrequency => inner.TimestampFrequency;

        public override TimeZoneInfo LocalTimeZone => inner.LocalTimeZone;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            Thread.Sleep(500);
            return inner.CreateTimer(callback, state, dueTime, period);
        }
    }

    /// <summary>Reads the observable gauges of one meter instance, by "instrument/system".</summary>
    private sealed class GaugeReader : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly Dictionary<string, double> _values = [];

        public GaugeReader(Meter meter)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter == meter && instrument.Name.StartsWith("backup.dr.", StringComparison.Ordinal))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "system")
                    {
                        _values[$"{instrument.Name}/{tag.Value}"] = value;
                    }
                }
            });
            _listener.Start();
        }

        public Dictionary<string, double> Read()
        {
            _values.Clear();
            _listener.RecordObservableInstruments();
            return new Dictionary<string, double>(_values);
        }

        public void Dispose() => _listener.Dispose();
    }
}
