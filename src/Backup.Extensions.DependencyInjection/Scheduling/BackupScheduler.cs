using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Backup.Extensions.DependencyInjection;

/// <summary>
/// Runs scheduled jobs (those with a <see cref="BackupJobOptions.Schedule"/>) at their cron occurrences, by the
/// injected <see cref="TimeProvider"/>.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Each occurrence fires once, after a random delay up to <see cref="BackupSchedulerOptions.MaxJitter"/>.</item>
/// <item>A run still in progress when the next occurrence comes makes that occurrence a logged skip; runs never overlap.</item>
/// <item>Missed runs: at start, if the job's newest successful snapshot is older than its last scheduled occurrence
/// (or there is none), the job runs once now; never more than once, however many occurrences were missed.</item>
/// <item>A restart: the job's newest stored snapshot counts as the last occurrence fired, so a host restarted with its clock
/// behind does not run that occurrence again; one dated more than an interval ahead leaves the clock to decide.</item>
/// <item>Shutdown cancels runs in progress and waits for them to stop; a cancelled run writes no snapshot, and the
/// packs it already uploaded are found and reused by the next run.</item>
/// </list>
/// </remarks>
internal sealed class BackupScheduler : BackgroundService
{
    private readonly IBackupJobRunner _runner;
    private readonly BackupJobHistory _history;
    private readonly BackupHostingOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Random _random = new();
    private readonly ConcurrentDictionary<Task, byte> _runs = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset> _wakeups = new(StringComparer.OrdinalIgnoreCase);
    private int _waiting;

    public BackupScheduler(IBackupJobRunner runner, BackupJobHistory history, IOptions<BackupHostingOptions> options, TimeProvider time, ILogger<BackupScheduler> logger)
    {
        _runner = runner;
        _history = history;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    /// <summary>How many job loops are waiting for their next occurrence (lets tests advance a fake clock deterministically).</summary>
    internal int Waiting => Volatile.Read(ref _waiting);

    /// <summary>When the loop of <paramref name="jobName"/> wakes up next (null before its first wait).</summary>
    internal DateTimeOffset? NextWakeup(string jobName) => _wakeups.TryGetValue(jobName, out var wakeup) ? wakeup : null;

    /// <summary>How many runs started by the scheduler are still in progress.</summary>
    internal int RunsInProgress => _runs.Count;

    /// <summary>The jobs the scheduler runs.</summary>
    internal IReadOnlyList<string> ScheduledJobs => [.. _options.Jobs.Where(j => j.Value.Schedule is not null).Select(j => j.Key)];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Scheduler.Enabled)
        {
            return;
        }

        var loops = _options.Jobs
            .Where(j => j.Value.Schedule is not null)
            .Select(j => LoopAsync(j.Key, CronSchedule.Parse(j.Value.Schedule!, j.Value.TimeZone), stoppingToken))
            .ToList();
        if (loops.Count == 0)
        {
            // AddBackupScheduler asks for scheduled backups; a host that silently takes none (a section bound under
            // the wrong name, a Schedule left out) would otherwise show up only when a restore is needed.
            Log.NothingScheduled(_logger, _options.Jobs.Count == 0
                ? "no backup job is configured"
                : $"none of the configured jobs ({string.Join(", ", _options.Jobs.Keys)}) has a Schedule");
        }

        try
        {
            await Task.WhenAll(loops).ConfigureAwait(false);
        }
        finally
        {
            // The host's stopping token also cancelled these runs; wait until they have stopped cleanly.
            await Task.WhenAll(_runs.Keys).ConfigureAwait(false);
        }
    }

    private async Task LoopAsync(string jobName, CronSchedule schedule, CancellationToken stoppingToken)
    {
        // Let the host finish starting before the first (possibly catch-up) run.
        await Task.Yield();
        var now = _time.GetUtcNow();
        WarnIfLongerThanRpo(jobName, schedule, now);
        var stored = await ReadStoredRunsAsync(jobName, stoppingToken).ConfigureAwait(false);
        var ranBefore = StoredOccurrence(jobName, schedule, now, stored);
        if (_options.Scheduler.RunMissedOnStartup)
        {
            CatchUp(jobName, schedule, now, stored, stoppingToken);
        }

        // A restart forgets what fired; the job's newest stored snapshot tells it, so that a host restarted with its clock
        // behind (not yet synchronised after boot, a virtual machine restored from a snapshot) does not run again an
        // occurrence it ran before. The same rule as after a run here decides.
        var last = ranBefore is { } ran && ran > now ? ran : now;
        while (!stoppingToken.IsCancellationRequested)
        {
            // From the later of the last fired occurrence and now: a fake or jumping clock never fires one twice,
            // and occurrences passed while the host slept are not replayed one by one. A clock corrected back by more
            // than one interval (it ran ahead when the last one fired) does not stop the runs until its date comes round.
            if (schedule.GetNextOccurrence(_time.GetUtcNow(), last) is not { } next)
            {
                Log.NoMoreOccurrences(_logger, jobName, schedule.Expression);
                return;
            }

            var jitter = _options.Scheduler.MaxJitter > TimeSpan.Zero
                ? TimeSpan.FromTicks((long)(_random.NextDouble() * _options.Scheduler.MaxJitter.Ticks))
                : TimeSpan.Zero;
            Log.NextRun(_logger, jobName, next, jitter.TotalSeconds);
            var delay = next + jitter - _time.GetUtcNow();
            _wakeups[jobName] = next + jitter;

            // The timer is registered before the loop counts as waiting, so a test that sees it waiting may move a
            // fake clock without racing the registration.
            var wait = delay > TimeSpan.Zero ? Task.Delay(delay, _time, stoppingToken) : Task.CompletedTask;
            Interlocked.Increment(ref _waiting);
            try
            {
                await wait.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            finally
            {
                Interlocked.Decrement(ref _waiting);
            }

            last = next;
            Start(jobName, stoppingToken);
        }
    }

    /// <summary>Says at start-up, rather than in health alerts between runs, when the schedule cannot keep the job within its RPO.</summary>
    private void WarnIfLongerThanRpo(string jobName, CronSchedule schedule, DateTimeOffset now)
    {
        if (_options.Jobs[jobName].Rpo is { } rpo && schedule.GetLongestGap(now) is { } gap && gap > rpo)
        {
            Log.ScheduleLongerThanRpo(_logger, jobName, schedule.Expression, DurationText.Format(gap), DurationText.Format(rpo));
        }
    }

    /// <summary>
    /// The job's last success and its newest stored snapshot at any date, from one read of its repository; null when
    /// the repository cannot be read (logged), and the scheduler goes on by the clock alone.
    /// </summary>
    private async Task<StoredRuns?> ReadStoredRunsAsync(string jobName, CancellationToken stoppingToken)
    {
        try
        {
            // Both come from the same scan of the snapshot list, which takes no lock.
            var newest = await _history.GetNewestStoredAsync(jobName, stoppingToken).ConfigureAwait(false);
            var lastSuccess = await _history.GetLastSuccessAsync(jobName, stoppingToken).ConfigureAwait(false);
            return new StoredRuns(lastSuccess, newest);
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            if (_options.Scheduler.RunMissedOnStartup)
            {
                Log.HistoryUnavailable(_logger, jobName, e.Message);
            }
            else
            {
                Log.StoredRunsUnreadable(_logger, jobName, e.Message);
            }

            return null;
        }
    }

    /// <summary>
    /// The occurrence the job's newest stored snapshot was for, when it can be believed; null when there is none, or when
    /// it lies more than one interval of the schedule after the clock (the clock was wrong when it ran, logged).
    /// </summary>
    private DateTimeOffset? StoredOccurrence(string jobName, CronSchedule schedule, DateTimeOffset now, StoredRuns? stored)
    {
        if (stored?.Newest is not { } newest)
        {
            return null;
        }

        var occurrence = schedule.OccurrenceOf(newest);
        if (occurrence <= now)
        {
            return occurrence;
        }

        if (schedule.Believed(now, occurrence) is null)
        {
            Log.StoredRunFarAhead(_logger, jobName, newest, now);
            return null;
        }

        Log.StoredRunAheadOfClock(_logger, jobName, newest, now, occurrence);
        return occurrence;
    }

    private void CatchUp(string jobName, CronSchedule schedule, DateTimeOffset now, StoredRuns? stored, CancellationToken stoppingToken)
    {
        if (schedule.GetPreviousOccurrence(now) is not { } previous)
        {
            return;
        }

        // Without history, running once is the safe side: a backup too many, never one too few (logged as it was read).
        // A snapshot dated ahead of the clock does not stand in for the missed occurrence: anyone who holds the password
        // can write one, and it already costs the next occurrence (see StoredOccurrence); a host whose clock is behind has
        // the snapshot of the clock's last occurrence too, and does not catch up.
        var lastSuccess = stored?.LastSuccess;
        if (lastSuccess is null || lastSuccess < previous)
        {
            Log.CatchingUp(_logger, jobName, previous, lastSuccess?.ToString("O", System.Globalization.CultureInfo.InvariantCulture) ?? "none yet");
            Start(jobName, stoppingToken);
        }
    }

    private void Start(string jobName, CancellationToken stoppingToken)
    {
        if (_runner.IsRunning(jobName))
        {
            Log.OccurrenceSkipped(_logger, jobName);
            return;
        }

        var run = RunAsync(jobName, stoppingToken);
        if (!run.IsCompleted)
        {
            _runs.TryAdd(run, 0);
            _ = run.ContinueWith(t => _runs.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private async Task RunAsync(string jobName, CancellationToken stoppingToken)
    {
        try
        {
            await _runner.RunAsync(jobName, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown; the runner has logged and reported the cancelled run.
        }
        catch (Exception e)
        {
            // The runner reports failures in its result; this is a bug or a misconfiguration, and the schedule goes on.
            Log.SchedulerRunFailed(_logger, jobName, e.Message);
        }
    }

    /// <summary>What the job's repository held at start: its last success (not dated ahead) and its newest snapshot at any date.</summary>
    private sealed record StoredRuns(DateTimeOffset? LastSuccess, DateTimeOffset? Newest);
}
