using System.Collections.Concurrent;
using System.Diagnostics;
using Backup.Core.Pipeline;
using Backup.Core.Sources;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Backup.Extensions.DependencyInjection;

internal sealed class BackupJobRunner : IBackupJobRunner
{
    private readonly BackupHostingOptions _options;
    private readonly IBackupRepositoryProvider _repositories;
    private readonly IServiceProvider _services;
    private readonly IBackupNotificationSink[] _sinks;
    private readonly IBackupPathSourceFactory? _pathSources;
    private readonly IBackupJobStateStore _state;
    private readonly BackupTelemetry _telemetry;
    private readonly BackupHookRunner _hooks;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, byte> _running = new(StringComparer.OrdinalIgnoreCase);

    public BackupJobRunner(
        IOptions<BackupHostingOptions> options,
        IBackupRepositoryProvider repositories,
        IServiceProvider services,
        IEnumerable<IBackupNotificationSink> sinks,
        IEnumerable<IBackupPathSourceFactory> pathSources,
        IBackupJobStateStore state,
        BackupTelemetry telemetry,
        BackupHookRunner hooks,
        TimeProvider time,
        ILogger<BackupJobRunner> logger)
    {
        _options = options.Value;
        _repositories = repositories;
        _services = services;
        _sinks = [.. sinks];
        _pathSources = pathSources.LastOrDefault();
        _state = state;
        _telemetry = telemetry;
        _hooks = hooks;
        _time = time;
        _logger = logger;
    }

    public event EventHandler<BackupJobEvent>? JobEvent;

    public IReadOnlyCollection<string> JobNames => [.. _options.Jobs.Keys];

    public bool IsRunning(string jobName) => _running.ContainsKey(jobName);

    public async Task<BackupJobResult> RunAsync(string jobName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(jobName);
        if (!_options.Jobs.TryGetValue(jobName, out var job))
        {
            throw new KeyNotFoundException($"No backup job is called '{jobName}' (known: {string.Join(", ", _options.Jobs.Keys)}).");
        }

        var startTime = _time.GetUtcNow();
        var started = _time.GetTimestamp();
        if (!_running.TryAdd(jobName, 0))
        {
            Log.JobSkipped(_logger, jobName);
            var skipped = new BackupJobResult(jobName, BackupJobOutcome.Skipped, startTime, TimeSpan.Zero);
            _telemetry.RecordRun(jobName, BackupJobOutcome.Skipped, TimeSpan.Zero, null);
            await PublishAsync(new BackupJobEvent(jobName, BackupJobEventKind.Completed, startTime, skipped)).ConfigureAwait(false);
            return skipped;
        }

        try
        {
            return await RunExclusiveAsync(jobName, job, startTime, started, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _running.TryRemove(jobName, out _);
        }
    }

    private async Task<BackupJobResult> RunExclusiveAsync(string jobName, BackupJobOptions job, DateTimeOffset startTime, long started, CancellationToken cancellationToken)
    {
        var activities = _telemetry.ActivitySource;
        using var activity = activities.StartActivity("backup.run");
        activity?.SetTag("job", jobName);
        activity?.SetTag("backup.repository", job.Repository);
        activity?.SetTag("backup.level", job.Level.ToString());
        Log.JobStarted(_logger, jobName, job.Repository!, job.Level);
        await PublishAsync(new BackupJobEvent(jobName, BackupJobEventKind.Started, startTime, null)).ConfigureAwait(false);

        BackupResult? backup = null;
        BackupVerificationOutcome? verification = null;
        Exception? error = null;
        var outcome = BackupJobOutcome.Failed;
        try
        {
            await _hooks.RunAsync(jobName, "pre", job.PreHooks, null, activities, cancellationToken).ConfigureAwait(false);

            Core.Repository.BackupRepository repository;
            using (StartPhase(activities, "backup.repository.open", jobName))
            {
                repository = await _repositories.GetAsync(job.Repository!, cancellationToken).ConfigureAwait(false);
            }

            using (var phase = StartPhase(activities, "backup.snapshot", jobName))
            {
                var options = new BackupOptions
                {
                    Level = job.Level,
                    Tags = [.. job.Tags, $"job:{jobName}"],
                    Hostname = job.Hostname,
                    Metadata = new Dictionary<string, string> { [BackupJobHistory.JobMetadataKey] = jobName },
                };
                backup = await new BackupService(repository, _time).BackupAsync(CreateSource(jobName, job), options, null, cancellationToken).ConfigureAwait(false);
                phase?.SetTag("backup.snapshot.id", backup.Snapshot.Id.ToString());
                phase?.SetTag("backup.files", backup.Snapshot.Statistics.Files);
                phase?.SetTag("backup.bytes.stored", backup.Snapshot.Statistics.BytesStored);
            }

            outcome = backup.IsComplete ? BackupJobOutcome.Succeeded : BackupJobOutcome.Partial;
            if (backup.IsComplete)
            {
                _state.UpdateState(jobName, s => s with { LastSuccess = backup.Snapshot.Time });
            }

            var context = new BackupJobContext(jobName, job.Repository!, repository, backup, _services, _time);
            if (job.Retention is { } retention)
            {
                using (StartPhase(activities, "backup.retention", jobName))
                {
                    await retention(context, cancellationToken).ConfigureAwait(false);
                }
            }

            if (job.Verification is { } verify)
            {
                verification = await VerifyAsync(jobName, verify, context, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            outcome = BackupJobOutcome.Cancelled;
        }
        catch (Exception e)
        {
            error = e;
            outcome = BackupJobOutcome.Failed;
        }

        try
        {
            // Post-hooks undo what pre-hooks did (resume a service, drop a volume snapshot), so they run after a
            // failure or cancellation too; then only their own timeouts bound them.
            var postToken = outcome == BackupJobOutcome.Cancelled ? CancellationToken.None : cancellationToken;
            await _hooks.RunAsync(jobName, "post", job.PostHooks, backup, activities, postToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            error ??= e;
            if (outcome is BackupJobOutcome.Succeeded or BackupJobOutcome.Partial)
            {
                outcome = BackupJobOutcome.Failed;
            }
        }
        catch (OperationCanceledException)
        {
            outcome = BackupJobOutcome.Cancelled;
        }

        var duration = _time.GetElapsedTime(started);
        var result = new BackupJobResult(jobName, outcome, startTime, duration, backup?.Snapshot, error, verification);
        _state.UpdateState(jobName, s => s with { LastRun = _time.GetUtcNow(), LastOutcome = outcome });
        _telemetry.RecordRun(jobName, outcome, duration, backup?.Snapshot.Statistics);
        activity?.SetTag("backup.outcome", outcome.ToString());
        switch (outcome)
        {
            case BackupJobOutcome.Succeeded:
                activity?.SetStatus(ActivityStatusCode.Ok);
                Log.JobSucceeded(_logger, jobName, backup!.Snapshot.Id.ToShortString(), duration.TotalSeconds, backup.Snapshot.Statistics.Files, backup.Snapshot.Statistics.BytesStored);
                break;
            case BackupJobOutcome.Partial:
                activity?.SetStatus(ActivityStatusCode.Error, "partial snapshot");
                Log.JobPartial(_logger, jobName, backup!.Snapshot.Id.ToShortString(), backup.Problems.Count);
                break;
            case BackupJobOutcome.Cancelled:
                activity?.SetStatus(ActivityStatusCode.Error, "cancelled");
                Log.JobCancelled(_logger, jobName, duration.TotalSeconds);
                break;
            default:
                activity?.SetStatus(ActivityStatusCode.Error, error?.Message);
                Log.JobFailed(_logger, jobName, error?.GetType().Name ?? "error", error?.Message ?? string.Empty);
                break;
        }

        await PublishAsync(new BackupJobEvent(jobName, BackupJobEventKind.Completed, _time.GetUtcNow(), result)).ConfigureAwait(false);
        if (outcome == BackupJobOutcome.Cancelled)
        {
            // Only a run that really stopped early throws; one that finished as the token fired reports its outcome.
            throw new OperationCanceledException($"Backup job '{jobName}' was cancelled.", null, cancellationToken);
        }

        return result;
    }

    private async Task<BackupVerificationOutcome> VerifyAsync(string jobName, Func<BackupJobContext, CancellationToken, Task<BackupVerificationOutcome>> verify, BackupJobContext context, CancellationToken cancellationToken)
    {
        using var phase = StartPhase(_telemetry.ActivitySource, "backup.verification", jobName);
        BackupVerificationOutcome verification;
        try
        {
            verification = await verify(context, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // A verification that cannot run is a failed verification (health: Degraded), not a failed backup.
            verification = new BackupVerificationOutcome(false, e.Message);
        }

        phase?.SetTag("backup.verification.succeeded", verification.Succeeded);
        if (verification.RestoreDuration is { } restore)
        {
            _telemetry.RecordRestore(jobName, restore);
        }

        _state.UpdateState(jobName, s => s with
        {
            LastVerification = _time.GetUtcNow(),
            LastVerificationSucceeded = verification.Succeeded,
            LastVerificationMessage = verification.Message,
            LastRestoreDuration = verification.RestoreDuration ?? s.LastRestoreDuration,
        });
        if (!verification.Succeeded)
        {
            phase?.SetStatus(ActivityStatusCode.Error, verification.Message);
            Log.VerificationFailed(_logger, jobName, verification.Message ?? string.Empty);
        }

        return verification;
    }

    private IBackupSource CreateSource(string jobName, BackupJobOptions job)
    {
        if (job.SourceFactory is { } factory)
        {
            return factory(_services);
        }

        return _pathSources is null
            ? throw new InvalidOperationException($"Job '{jobName}' backs up paths but no {nameof(IBackupPathSourceFactory)} is registered.")
            : _pathSources.Create(jobName, job);
    }

    private static Activity? StartPhase(ActivitySource source, string name, string jobName)
    {
        var activity = source.StartActivity(name);
        activity?.SetTag("job", jobName);
        return activity;
    }

    private async Task PublishAsync(BackupJobEvent jobEvent)
    {
        foreach (var sink in _sinks)
        {
            try
            {
                // Not the run's token: the end of a cancelled run must still be reported (sinks bound themselves).
                await sink.NotifyAsync(jobEvent, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                Log.NotificationFailed(_logger, jobEvent.JobName, sink.GetType().Name, e.Message);
            }
        }

        try
        {
            JobEvent?.Invoke(this, jobEvent);
        }
        catch (Exception e)
        {
            Log.NotificationFailed(_logger, jobEvent.JobName, nameof(JobEvent), e.Message);
        }
    }
}
