using Backup.Extensions.DependencyInjection;
using Backup.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;

namespace Backup.Extensions.Tests;

/// <summary>
/// A scheduler started anew (a restarted host) knows what fired before only from the repository: the job's newest
/// snapshot. A host restarted with its clock behind that snapshot (not yet synchronised after boot, a virtual machine
/// restored from a snapshot) must not run the occurrence again; one whose stored snapshot is far ahead (the clock ran
/// ahead when it was taken) must not wait for that date.
/// </summary>
public sealed class SchedulerRestartTests : IDisposable
{
    private static readonly DateTimeOffset Occurrence = DateTimeOffset.Parse("2026-06-01T00:30:00Z", System.Globalization.CultureInfo.InvariantCulture);

    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("backup-di-restart-");

    private string Root => Path.Combine(_folder.FullName, "repository");

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // nor as a catch-up: the occurrence before, by the clock, ran too
    public async Task A_restart_with_the_clock_behind_the_last_stored_run_does_not_run_that_occurrence_again(bool runMissedOnStartup)
    {
        // The host ran the 00:30 backups of yesterday and today, and comes back an hour later with its clock two hours behind.
        await StoreRunAsync(Occurrence.AddDays(-1));
        await StoreRunAsync(Occurrence);
        var fake = new FakeTimeProvider(Occurrence.AddHours(1));
        var clock = new SteppableTimeProvider(fake);
        clock.StepBack(TimeSpan.FromHours(2));
        var logs = new LogCapture();
        var runner = new RecordingRunner(clock);
        await using var provider = BuildRestarted(clock, runner, runMissedOnStartup, logs);
        var scheduler = provider.GetRequiredService<BackupScheduler>();

        await scheduler.StartAsync(CancellationToken.None);
        try
        {
            await TestSupport.WaitUntilAsync(() => scheduler.Waiting == 1);
            scheduler.NextWakeup("nightly").Should().Be(Occurrence.AddDays(1), "00:30 today ran before the restart");
            runner.Runs.Should().BeEmpty();
            logs.Messages.Should().ContainSingle(m => m.Contains("is dated after the clock", StringComparison.Ordinal))
                .Which.Should().Contain("the occurrence at 2026-06-01T00:30:00.0000000+00:00 ran already");
        }
        finally
        {
            await scheduler.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>
    /// A snapshot of the job dated a few hours ahead (anyone who holds the password can write one) costs the next
    /// occurrence, as a clock set back would: no more. The occurrence missed while the host was down is still caught up.
    /// </summary>
    [Fact]
    public async Task A_snapshot_dated_ahead_by_less_than_an_interval_does_not_stand_in_for_a_missed_occurrence()
    {
        // Yesterday's 00:30 ran; today's was missed (the host was down); someone stored one dated tomorrow 00:40.
        await StoreRunAsync(Occurrence.AddDays(-1));
        await StoreRunAsync(Occurrence.AddDays(1).AddMinutes(10));
        var clock = new SteppableTimeProvider(new FakeTimeProvider(Occurrence.AddHours(9)));
        var runner = new RecordingRunner(clock);
        await using var provider = BuildRestarted(clock, runner, runMissedOnStartup: true, new LogCapture());
        var scheduler = provider.GetRequiredService<BackupScheduler>();

        await scheduler.StartAsync(CancellationToken.None);
        try
        {
            await TestSupport.WaitUntilAsync(() => scheduler.Waiting == 1 && runner.Runs.Count == 1);
            runner.Runs.Should().Equal([Occurrence.AddHours(9)], "today's missed 00:30 is caught up at start");
            scheduler.NextWakeup("nightly").Should().Be(Occurrence.AddDays(2), "tomorrow's 00:30 is the one occurrence the snapshot dated ahead costs");
        }
        finally
        {
            await scheduler.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_restart_after_a_run_dated_a_month_ahead_runs_at_the_corrected_clocks_next_occurrence()
    {
        // The clock ran a month ahead when the backup was taken, and is right after the restart.
        await StoreRunAsync(Occurrence.AddDays(30));
        var clock = new SteppableTimeProvider(new FakeTimeProvider(Occurrence.AddMinutes(-30)));
        var logs = new LogCapture();
        var runner = new RecordingRunner(clock);
        await using var provider = BuildRestarted(clock, runner, runMissedOnStartup: false, logs);
        var scheduler = provider.GetRequiredService<BackupScheduler>();

        await scheduler.StartAsync(CancellationToken.None);
        try
        {
            await TestSupport.WaitUntilAsync(() => scheduler.Waiting == 1);
            scheduler.NextWakeup("nightly").Should().Be(Occurrence, "the corrected clock's next 00:30, not the day after the stored run's");
            logs.Messages.Should().ContainSingle(m => m.Contains("more than one interval of its schedule after the clock", StringComparison.Ordinal));
        }
        finally
        {
            await scheduler.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_repository_that_cannot_be_read_at_start_leaves_the_schedule_to_the_clock()
    {
        // The key cannot be had (a vault not reachable yet): the host starts, and the clock alone decides, as before.
        await StoreRunAsync(Occurrence);
        var clock = new SteppableTimeProvider(new FakeTimeProvider(Occurrence.AddMinutes(-30)));
        var logs = new LogCapture();
        var runner = new RecordingRunner(clock);
        await using var provider = BuildRestarted(clock, runner, runMissedOnStartup: false, logs, keyUnavailable: true);
        var scheduler = provider.GetRequiredService<BackupScheduler>();

        await scheduler.StartAsync(CancellationToken.None);
        try
        {
            await TestSupport.WaitUntilAsync(() => scheduler.Waiting == 1);
            scheduler.NextWakeup("nightly").Should().Be(Occurrence);
            logs.Messages.Should().ContainSingle(m => m.Contains("cannot read its snapshot history", StringComparison.Ordinal))
                .Which.Should().StartWith("Warning").And.Contain("vault unreachable").And.Contain("runs by the clock alone");
        }
        finally
        {
            await scheduler.StopAsync(CancellationToken.None);
        }
    }

    public void Dispose() => _folder.Delete(recursive: true);

    /// <summary>Runs the job once, as the scheduler of the host before the restart did, with its clock at <paramref name="at"/>.</summary>
    private async Task StoreRunAsync(DateTimeOffset at)
    {
        await using var before = TestSupport.Build(time: new FakeTimeProvider(at), configure: b =>
        {
            UseRoot(b);
            AddNightly(b);
        });
        (await before.GetRequiredService<IBackupJobRunner>().RunAsync("nightly")).Outcome.Should().Be(BackupJobOutcome.Succeeded);
    }

    private ServiceProvider BuildRestarted(TimeProvider clock, RecordingRunner runner, bool runMissedOnStartup, LogCapture logs, bool keyUnavailable = false) =>
        TestSupport.Build(time: clock, logs: logs, configure: b =>
        {
            UseRoot(b);
            AddNightly(b);
            if (keyUnavailable)
            {
                b.AddRepository("main", r => r.KeySource = _ => new DelegateKeySource("vault", _ => throw new InvalidOperationException("vault unreachable")));
            }
        }, services: s =>
        {
            s.Replace(ServiceDescriptor.Singleton<IBackupJobRunner>(runner));
            s.AddBackupScheduler(o =>
            {
                o.RunMissedOnStartup = runMissedOnStartup;
                o.MaxJitter = TimeSpan.Zero;
            });
        });

    private void UseRoot(BackupBuilder builder) => builder.AddRepository("main", r =>
    {
        r.TargetFactory = null;
        r.Location = Root;
    });

    private static void AddNightly(BackupBuilder builder) => builder.AddJob("nightly", j =>
    {
        j.Repository = "main";
        j.Schedule = "30 0 * * *";
        j.TimeZone = "UTC";
        j.SourceFactory = _ => TestSupport.Export("x", 1);
    });
}
