using System.Collections.Concurrent;
using Backup.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Backup.DisasterRecovery;

/// <summary>
/// Drills each system that has a <see cref="DrillPolicy.Schedule"/> at its cron occurrences (read like the backup
/// scheduler's, in <see cref="DrillPolicy.TimeZone"/>), by the injected <see cref="TimeProvider"/>; a system's drills
/// never overlap, each occurrence is drilled at most once (also when the clock is set back past it by up to one interval
/// of the schedule; further back, the clock was wrong and the corrected one decides), and a drill that
/// throws is logged and the next occurrence still comes. Off when the host's scheduler is disabled
/// (Backup:Scheduler:Enabled). At start it reads each system's stored drills, so the health checks and gauges know
/// them before the first drill here, and so that an occurrence drilled before a restart with the clock behind (by up to
/// one interval) is not drilled again.
/// </summary>
internal sealed class RecoveryDrillScheduler(
    RecoveryPlan plan,
    IRecoveryDrillRunner runner,
    RecoveryDrillHistory history,
    DisasterRecoveryTelemetry telemetry,
    IOptions<BackupHostingOptions> options,
    TimeProvider time,
    ILogger<RecoveryDrillScheduler> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _wakeups = new(StringComparer.OrdinalIgnoreCase);
    private int _waiting;

    /// <summary>How many system loops wait for their next occurrence (lets tests advance a fake clock deterministically).</summary>
    internal int Waiting => Volatile.Read(ref _waiting);

    /// <summary>When the loop of <paramref name="system"/> wakes up next.</summary>
    internal DateTimeOffset? NextWakeup(string system) => _wakeups.TryGetValue(system, out var next) ? next : null;

    /// <summary>The telemetry the gauges live in; held so they exist as long as the scheduler.</summary>
    internal DisasterRecoveryTelemetry Telemetry => telemetry;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Scheduler.Enabled)
        {
            return;
        }

        // Let the host finish starting first.
        await Task.Yield();
        var stored = new Dictionary<string, DateTimeOffset?>(StringComparer.OrdinalIgnoreCase);
        foreach (var system in plan.Systems.Keys)
        {
            try
            {
                stored[system] = (await history.GetAsync(system, stoppingToken).ConfigureAwait(false)).Last?.StartedAt;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                HostedDrillLog.HistoryUnreadable(logger, system, e.Message);
            }
        }

        var loops = plan.Systems
            .Where(s => !string.IsNullOrWhiteSpace(s.Value.Drill.Schedule))
            .Select(s => LoopAsync(s.Key, CronSchedule.Parse(s.Value.Drill.Schedule!, s.Value.Drill.TimeZone), stored.GetValueOrDefault(s.Key), stoppingToken))
            .ToList();
        await Task.WhenAll(loops).ConfigureAwait(false);
    }

    private async Task LoopAsync(string system, CronSchedule schedule, DateTimeOffset? lastStored, CancellationToken stoppingToken)
    {
        // A restart forgets what was drilled; the newest stored drill tells it, so that a host restarted with its clock
        // behind (not yet synchronised after boot, a virtual machine restored from a snapshot) does not drill again an
        // occurrence drilled before. Taken as the occurrence it was for, the same one-interval rule as after a drill here
        // decides: a drill dated far ahead (the clock was wrong then) leaves the corrected clock to decide.
        DateTimeOffset? drilled = null;
        if (lastStored is { } started)
        {
            drilled = schedule.OccurrenceOf(started);
            var now = time.GetUtcNow();
            if (drilled > now)
            {
                if (schedule.Believed(now, drilled) is null)
                {
                    HostedDrillLog.StoredDrillFarAhead(logger, system, started, now);
                }
                else
                {
                    HostedDrillLog.StoredDrillAheadOfClock(logger, system, started, now, drilled.Value);
                }
            }
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            // The same rule as the backup scheduler's: an occurrence drilled is not drilled again when the clock is
            // stepped back by up to one interval; further back, the corrected clock decides.
            var now = time.GetUtcNow();
            if (schedule.GetNextOccurrence(now, drilled) is not { } next)
            {
                return;
            }

            _wakeups[system] = next;
            HostedDrillLog.DrillScheduled(logger, system, next);
            // The timer is registered before the loop counts as waiting, so a test that sees it waiting may move a
            // fake clock without racing the registration (the timer would be armed from the moved clock, a day late).
            var wait = Task.Delay(next - now, time, stoppingToken);
            Interlocked.Increment(ref _waiting);
            try
            {
                await wait.ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            finally
            {
                Interlocked.Decrement(ref _waiting);
            }

            drilled = next;
            try
            {
                var result = await runner.RunAsync(plan, system, stoppingToken).ConfigureAwait(false);
                history.Record(result);
                if (result.Succeeded)
                {
                    HostedDrillLog.DrillSucceeded(logger, system, result.AchievedRto.TotalSeconds, result.AchievedRpo?.TotalSeconds);
                }
                else
                {
                    var failed = result.Steps.FirstOrDefault(s => s.Outcome is RecoveryStepOutcome.Failed or RecoveryStepOutcome.TimedOut);
                    HostedDrillLog.DrillFailed(logger, system, failed?.Name, failed?.Error);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                HostedDrillLog.DrillError(logger, system, e);
            }
        }
    }
}
