using Backup.Extensions.DependencyInjection;
using Backup.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;

namespace Backup.Extensions.Tests;

public sealed class SchedulerTests
{
    private static readonly TimeSpan Step = TimeSpan.FromMinutes(15);

    [Theory]
    [InlineData("2026-03-28T00:00:00Z", "2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z")] // spring forward: 02:30 does not exist, runs at 03:00 CEST
    [InlineData("2026-10-24T00:00:00Z", "2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z")] // fall back: 02:30 happens twice, runs once (CEST)
    public void Cron_occurrences_in_Berlin_across_a_DST_change(string start, string first, string second, string third)
    {
        var schedule = CronSchedule.Parse("30 2 * * *", "Europe/Berlin");
        var occurrences = new List<DateTimeOffset>();
        var at = DateTimeOffset.Parse(start, System.Globalization.CultureInfo.InvariantCulture);
        for (var i = 0; i < 3; i++)
        {
            at = schedule.GetNextOccurrence(at)!.Value;
            occurrences.Add(at);
        }

        occurrences.Should().Equal(new[] { first, second, third }.Select(s => DateTimeOffset.Parse(s, System.Globalization.CultureInfo.InvariantCulture)));
        schedule.GetPreviousOccurrence(occurrences[1]).Should().Be(occurrences[1]);
        schedule.GetPreviousOccurrence(occurrences[1].AddTicks(-1)).Should().Be(occurrences[0]);
    }

    [Theory]
    [InlineData("2026-03-28T00:00:00Z", "2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z")]
    [InlineData("2026-10-24T00:00:00Z", "2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z")]
    public async Task The_scheduler_runs_at_the_exact_instants_across_a_DST_change(string start, string first, string second, string third)
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse(start, System.Globalization.CultureInfo.InvariantCulture));
        var runner = new RecordingRunner(time);
        await using var provider = BuildScheduled(time, runner, runMissed: false);
        var scheduler = provider.GetRequiredService<BackupScheduler>();
        await scheduler.StartAsync(CancellationToken.None);

        await AdvanceAsync(time, scheduler, "nightly", TimeSpan.FromDays(3));
        await scheduler.StopAsync(CancellationToken.None);

        runner.Runs.Should().Equal(new[] { first, second, third }.Select(s => DateTimeOffset.Parse(s, System.Globalization.CultureInfo.InvariantCulture)));
    }

    /// <summary>
    /// What a scheduler fires next after a clock stepped back: an hour back (NTP after a run at 02:30) must not fire
    /// 02:30 again; a month back (the clock ran a month ahead when it fired) must not wait a month for the next run.
    /// </summary>
    [Theory]
    [InlineData("2026-06-01T02:30:00Z", "2026-06-01T02:30:00Z", "2026-06-02T02:30:00Z")] // no step
    [InlineData("2026-06-01T01:30:00Z", "2026-06-01T02:30:00Z", "2026-06-02T02:30:00Z")] // an hour back: 02:30 is not fired again
    [InlineData("2026-06-01T02:29:59Z", "2026-06-01T02:30:00Z", "2026-06-02T02:30:00Z")] // a timer a moment early
    [InlineData("2026-05-31T02:30:00Z", "2026-06-01T02:30:00Z", "2026-06-02T02:30:00Z")] // exactly one interval back: still taken for a step back
    [InlineData("2026-05-02T02:30:00Z", "2026-06-01T02:30:00Z", "2026-05-03T02:30:00Z")] // a month back: the corrected clock decides
    [InlineData("2026-06-01T05:00:00Z", "2026-06-01T02:30:00Z", "2026-06-02T02:30:00Z")] // clock ahead of the last run, as usual
    public void The_next_occurrence_after_a_clock_stepped_back_neither_repeats_nor_waits_for_a_wrong_date(string now, string lastFired, string expected)
    {
        static DateTimeOffset At(string text) => DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
        var schedule = CronSchedule.Parse("30 2 * * *", "UTC");

        schedule.GetNextOccurrence(At(now), At(lastFired)).Should().Be(At(expected));
        schedule.GetNextOccurrence(At(now), null).Should().Be(schedule.GetNextOccurrence(At(now)));
    }

    /// <summary>
    /// A host whose clock ran a month ahead runs a backup at the wrong clock's 00:30; the clock is then corrected. The
    /// next backup is the corrected clock's next 00:30, not the wrong clock's, a month away.
    /// </summary>
    [Fact]
    public async Task A_clock_corrected_back_by_a_month_after_a_run_does_not_stop_the_runs_for_a_month()
    {
        var fake = new FakeTimeProvider(DateTimeOffset.Parse("2026-06-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var clock = new SteppableTimeProvider(fake);
        clock.StepBack(TimeSpan.FromDays(-30));
        var runner = new RecordingRunner(clock);
        await using var provider = TestSupport.Build(time: clock, configure: b => b.AddJob("nightly", j =>
        {
            j.Repository = "main";
            j.Schedule = "30 0 * * *";
            j.TimeZone = "UTC";
            j.SourceFactory = _ => TestSupport.Export("x", 1);
        }), services: s =>
        {
            s.Replace(ServiceDescriptor.Singleton<IBackupJobRunner>(runner));
            s.AddBackupScheduler(o => o.RunMissedOnStartup = false);
        });
        var scheduler = provider.GetRequiredService<BackupScheduler>();
        await scheduler.StartAsync(CancellationToken.None);
        try
        {
            await TestSupport.WaitUntilAsync(() => scheduler.Waiting == 1);
            scheduler.NextWakeup("nightly").Should().Be(DateTimeOffset.Parse("2026-07-01T00:30:00Z", System.Globalization.CultureInfo.InvariantCulture));

            // The clock is corrected while the run's timer is pending; the timer (monotonic) fires on time.
            fake.Advance(TimeSpan.FromMinutes(29));
            clock.StepBack(TimeSpan.FromDays(30));
            fake.Advance(TimeSpan.FromMinutes(1));
            await TestSupport.WaitUntilAsync(() => runner.Runs.Count == 1 && scheduler.Waiting == 1);

            scheduler.NextWakeup("nightly").Should().Be(
                DateTimeOffset.Parse("2026-06-02T00:30:00Z", System.Globalization.CultureInfo.InvariantCulture), "the corrected clock's next 00:30, not the day after the wrong clock's");
        }
        finally
        {
            await scheduler.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task Jitter_delays_each_occurrence_by_less_than_the_maximum()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-06-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var runner = new RecordingRunner(time);
        await using var provider = BuildScheduled(time, runner, runMissed: false, jitter: TimeSpan.FromMinutes(10));
        var scheduler = provider.GetRequiredService<BackupScheduler>();
        await scheduler.StartAsync(CancellationToken.None);
        var occurrence = DateTimeOffset.Parse("2026-06-01T00:30:00Z", System.Globalization.CultureInfo.InvariantCulture);

        for (var day = 0; day < 5; day++)
        {
            await TestSupport.WaitUntilAsync(() => scheduler.Waiting == 1 && scheduler.NextWakeup("nightly") > time.GetUtcNow());
            var wakeup = scheduler.NextWakeup("nightly")!.Value;
            wakeup.Should().BeOnOrAfter(occurrence).And.BeBefore(occurrence + TimeSpan.FromMinutes(10));
            time.SetUtcNow(wakeup);
            await TestSupport.WaitUntilAsync(() => runner.Runs.Count == day + 1);
            occurrence = occurrence.AddDays(1);
        }

        await scheduler.StopAsync(CancellationToken.None);
        runner.Runs.Should().HaveCount(5);
    }

    [Fact]
    public async Task An_occurrence_while_the_job_is_still_running_is_skipped()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-06-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var runner = new RecordingRunner(time) { Running = true };
        await using var provider = BuildScheduled(time, runner, runMissed: false);
        var scheduler = provider.GetRequiredService<BackupScheduler>();
        await scheduler.StartAsync(CancellationToken.None);

        await AdvanceAsync(time, scheduler, "nightly", TimeSpan.FromDays(1));
        runner.Running = false;
        await AdvanceAsync(time, scheduler, "nightly", TimeSpan.FromDays(1));
        await scheduler.StopAsync(CancellationToken.None);

        runner.Runs.Should().Equal(DateTimeOffset.Parse("2026-06-02T00:30:00Z", System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("2026-05-28T12:00:00Z", 1)] // three nights missed: one catch-up run, never three
    [InlineData("2026-05-31T00:31:00Z", 0)] // newest snapshot after the last occurrence (00:30Z): nothing missed
    [InlineData(null, 1)] // no snapshot at all
    public async Task Missed_runs_after_downtime_catch_up_once_at_start(string? lastSuccess, int expectedRuns)
    {
        var now = DateTimeOffset.Parse("2026-05-31T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var time = new FakeTimeProvider(now);
        var runner = new RecordingRunner(time);
        await using var provider = BuildScheduled(time, runner, runMissed: true);
        if (lastSuccess is not null)
        {
            provider.GetRequiredService<IBackupJobStateStore>().UpdateState("nightly", s => s with { LastSuccess = DateTimeOffset.Parse(lastSuccess, System.Globalization.CultureInfo.InvariantCulture) });
        }

        var scheduler = provider.GetRequiredService<BackupScheduler>();
        await scheduler.StartAsync(CancellationToken.None);
        await TestSupport.WaitUntilAsync(() => scheduler.Waiting == 1);
        await scheduler.StopAsync(CancellationToken.None);

        runner.Runs.Should().Equal(Enumerable.Repeat(now, expectedRuns));
    }

    [Fact]
    public async Task A_catch_up_with_no_snapshot_yet_says_so_instead_of_null()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-05-31T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var logs = new LogCapture();
        await using var provider = TestSupport.Build(time: time, logs: logs, configure: b => b.AddJob("nightly", j =>
        {
            j.Repository = "main";
            j.Schedule = "30 2 * * *";
            j.SourceFactory = _ => TestSupport.Export("x", 1);
        }), services: s =>
        {
            s.Replace(ServiceDescriptor.Singleton<IBackupJobRunner>(new RecordingRunner(time)));
            s.AddBackupScheduler(o => o.MaxJitter = TimeSpan.Zero);
        });

        var scheduler = provider.GetRequiredService<BackupScheduler>();
        await scheduler.StartAsync(CancellationToken.None);
        await TestSupport.WaitUntilAsync(() => scheduler.Waiting == 1);
        await scheduler.StopAsync(CancellationToken.None);

        logs.Messages.Should().ContainSingle(m => m.Contains("missed its run", StringComparison.Ordinal))
            .Which.Should().Contain("(newest successful snapshot: none yet)").And.NotContain("(null)");
    }

    [Theory]
    [InlineData(null, "none of the configured jobs (export) has a Schedule")]
    [InlineData("0 2 * * *", null)]
    public async Task A_scheduler_with_nothing_to_run_warns_at_start(string? schedule, string? reason)
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-06-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var logs = new LogCapture();
        await using var provider = TestSupport.Build(time: time, logs: logs, configure: b => b.AddJob("export", j => j.Schedule = schedule), services: s =>
        {
            s.Replace(ServiceDescriptor.Singleton<IBackupJobRunner>(new RecordingRunner(time)));
            s.AddBackupScheduler(o => o.RunMissedOnStartup = false);
        });

        var scheduler = provider.GetRequiredService<BackupScheduler>();
        await scheduler.StartAsync(CancellationToken.None);
        // With nothing scheduled the scheduler's work ends at once; otherwise it waits for the next occurrence.
        await TestSupport.WaitUntilAsync(() => scheduler.ExecuteTask is { IsCompleted: true } || scheduler.Waiting == 1);
        await scheduler.StopAsync(CancellationToken.None);

        var warnings = logs.Messages.Where(m => m.Contains("The backup scheduler has no job to run", StringComparison.Ordinal)).ToList();
        if (reason is null)
        {
            warnings.Should().BeEmpty();
        }
        else
        {
            warnings.Should().ContainSingle().Which.Should().StartWith("Warning").And.Contain(reason).And.Contain("Schedule");
        }
    }

    [Fact]
    public async Task Shutdown_cancels_a_run_in_progress_and_waits_for_it()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-06-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var provider = TestSupport.Build(time: time, configure: b => b.AddJob("slow", j =>
        {
            j.Repository = "main";
            j.Schedule = "0 * * * *";
            j.SourceFactory = _ => TestSupport.Blocking(started, Task.Delay(Timeout.Infinite));
        }), services: s => s.AddBackupScheduler(o => o.RunMissedOnStartup = false));
        var scheduler = provider.GetRequiredService<BackupScheduler>();
        var runner = provider.GetRequiredService<IBackupJobRunner>();
        var outcomes = new List<BackupJobOutcome>();
        runner.JobEvent += (_, e) => { if (e.Result is { } r) { outcomes.Add(r.Outcome); } };
        await scheduler.StartAsync(CancellationToken.None);
        await TestSupport.WaitUntilAsync(() => scheduler.Waiting == 1);

        time.Advance(TimeSpan.FromHours(1));
        await started.Task.WaitAsync(TimeSpan.FromSeconds(20));
        await scheduler.StopAsync(CancellationToken.None);

        runner.IsRunning("slow").Should().BeFalse("shutdown waited for the run to stop");
        outcomes.Should().Equal(BackupJobOutcome.Cancelled);
    }

    [Theory]
    [InlineData("*/15 * * * *", 15 * 60)]
    [InlineData("0 * * * *", 3600)]
    [InlineData("0 9 * * 1-5", 3 * 24 * 3600)]
    [InlineData("0 0,6 * * *", 18 * 3600)]
    [InlineData("0 0 1 1,7 *", 184 * 24 * 3600)] // July to January
    public void The_longest_gap_of_a_schedule_is_found_over_a_year(string cron, int seconds) =>
        CronSchedule.Parse(cron).GetLongestGap(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)).Should().Be(TimeSpan.FromSeconds(seconds));

    [Theory]
    [InlineData("0 2 * * 1-5", "1.00:00:00", "3d")] // weekdays only: Friday to Monday
    [InlineData("0 2 * * *", "12:00:00", "1d")]
    [InlineData("0 2 * * *", "1.00:00:00", null)]
    [InlineData("0 2 * * 1-5", null, null)]
    [InlineData("* * * * *", "00:00:30", "1m")] // walks a year of minutes
    public async Task A_schedule_with_longer_gaps_than_the_RPO_is_logged_at_start(string schedule, string? rpo, string? gap)
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-06-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var logs = new LogCapture();
        await using var provider = TestSupport.Build(time: time, logs: logs, configure: b => b.AddJob("weekdays", j =>
        {
            j.Repository = "main";
            j.Schedule = schedule;
            j.Rpo = rpo is null ? null : TimeSpan.Parse(rpo, System.Globalization.CultureInfo.InvariantCulture);
            j.SourceFactory = _ => TestSupport.Export("x", 1);
        }), services: s =>
        {
            s.Replace(ServiceDescriptor.Singleton<IBackupJobRunner>(new RecordingRunner(time)));
            s.AddBackupScheduler(o => o.RunMissedOnStartup = false);
        });
        var scheduler = provider.GetRequiredService<BackupScheduler>();
        await scheduler.StartAsync(CancellationToken.None);
        await TestSupport.WaitUntilAsync(() => scheduler.Waiting == 1);
        await scheduler.StopAsync(CancellationToken.None);

        var warnings = logs.Messages.Where(m => m.Contains("between runs, longer than the job's RPO", StringComparison.Ordinal)).ToList();
        if (gap is null)
        {
            warnings.Should().BeEmpty();
        }
        else
        {
            warnings.Should().ContainSingle().Which.Should().StartWith("Warning").And.Contain($"Backup job weekdays: schedule {schedule} leaves up to {gap} between runs");
        }
    }

    private static ServiceProvider BuildScheduled(FakeTimeProvider time, RecordingRunner runner, bool runMissed, TimeSpan? jitter = null) =>
        TestSupport.Build(time: time, configure: b => b.AddJob("nightly", j =>
        {
            j.Repository = "main";
            j.Schedule = "30 2 * * *";
            j.TimeZone = "Europe/Berlin";
            j.SourceFactory = _ => TestSupport.Export("x", 1);
        }), services: s =>
        {
            s.Replace(ServiceDescriptor.Singleton<IBackupJobRunner>(runner));
            s.AddBackupScheduler(o =>
            {
                o.RunMissedOnStartup = runMissed;
                o.MaxJitter = jitter ?? TimeSpan.Zero;
            });
        });

    /// <summary>Moves the fake clock in 15-minute steps, letting the scheduler settle after each one.</summary>
    private static async Task AdvanceAsync(FakeTimeProvider time, BackupScheduler scheduler, string job, TimeSpan span)
    {
        await TestSupport.WaitUntilAsync(() => scheduler.Waiting == 1);
        for (var moved = TimeSpan.Zero; moved < span; moved += Step)
        {
            time.Advance(Step);
            await TestSupport.WaitUntilAsync(() => scheduler.Waiting == 1 && scheduler.NextWakeup(job) > time.GetUtcNow());
        }
    }
}
