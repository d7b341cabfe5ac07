using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Backup.Core.Diagnostics;
using Backup.Core.Maintenance;
using Backup.Core.Pipeline;
using Backup.Core.Replication;
using Backup.Core.Repository;
using Backup.Core.Retention;
using Backup.Core.Snapshots;
using Backup.Core.Sources;
using Backup.Core.Verification;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Backup.Core;

namespace Backup.Extensions.DependencyInjection;

internal sealed class BackupJobRunner : IBackupJobRunner
{
    private readonly BackupHostingOptions _options;
    private readonly IBackupRepositoryProvider _repositories;
    private readonly IServiceProvider _services;
    private readonly IBackupNotificationSink[] _sinks;
    private readonly IBackupPathSourceFactory? _pathSources;
    private readonly Dictionary<string, NamedBackupSource> _namedSources;
    private readonly DatabaseSources _databases;
    private readonly IBackupJobStateStore _state;
    private readonly BackupTelemetry _telemetry;
    private readonly BackupHookRunner _hooks;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, byte> _running = new(StringComparer.OrdinalIgnoreCase);

    // Repositories whose prune was skipped (locked): pruned after the next retention even when it forgets nothing.
    private readonly ConcurrentDictionary<string, byte> _pruneOwed = new(StringComparer.OrdinalIgnoreCase);

    public BackupJobRunner(
        IOptions<BackupHostingOptions> options,
        IBackupRepositoryProvider repositories,
        IServiceProvider services,
        IEnumerable<IBackupNotificationSink> sinks,
        IEnumerable<IBackupPathSourceFactory> pathSources,
        IEnumerable<NamedBackupSource> namedSources,
        DatabaseSources databases,
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
        _namedSources = new Dictionary<string, NamedBackupSource>(StringComparer.OrdinalIgnoreCase);
        foreach (var source in namedSources)
        {
            _namedSources[source.Name] = source;
        }
        _databases = databases;
        _state = state;
        _telemetry = telemetry;
        _hooks = hooks;
        _time = time;
        _logger = logger;
    }

    public event EventHandler<BackupJobEvent>? JobEvent;

    public IReadOnlyCollection<string> JobNames => [.. _options.Jobs.Keys];

    public bool IsRunning(string jobName) => _running.ContainsKey(jobName);

    // The services a job runs report their operations (bytes, files, problems) with the job's name, as the job's own instruments do.
    private BackupDiagnostics JobDiagnostics(string jobName) => _telemetry.Diagnostics.WithTags(new KeyValuePair<string, object?>("job", jobName));

    public async Task<BackupJobResult> RunAsync(string jobName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(jobName);
        if (!_options.Jobs.TryGetValue(jobName, out var job))
        {
            throw new BackupJobNotFoundException(jobName, _options.Jobs.Keys);
        }

        var startTime = _time.GetUtcNow();
        var started = _time.GetTimestamp();
        if (!_running.TryAdd(jobName, 0))
        {
            Log.JobSkipped(_logger, jobName);
            var skipped = new BackupJobResult { JobName = jobName, Outcome = BackupJobOutcome.Skipped, StartTime = startTime, Duration = TimeSpan.Zero };
            _telemetry.RecordRun(jobName, BackupJobOutcome.Skipped, TimeSpan.Zero);
            await PublishAsync(new BackupJobEvent { JobName = jobName, Kind = BackupJobEventKind.Completed, Time = startTime, Result = skipped }).ConfigureAwait(false);
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
        await PublishAsync(new BackupJobEvent { JobName = jobName, Kind = BackupJobEventKind.Started, Time = startTime, Result = null }).ConfigureAwait(false);

        BackupResult? backup = null;
        BackupVerificationOutcome? verification = null;
        IReadOnlyList<BackupCopyResult>? copies = null;
        RetentionResult? retained = null;
        Exception? error = null;
        var outcome = BackupJobOutcome.Failed;
        try
        {
            await _hooks.RunAsync(jobName, "pre", job.PreHooks, null, activities, cancellationToken).ConfigureAwait(false);

            Core.BackupRepository repository;
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
                backup = await BackupAsync(jobName, job, new BackupService(repository, _time, JobDiagnostics(jobName)), options, cancellationToken).ConfigureAwait(false);
                phase?.SetTag("backup.snapshot.id", backup.Snapshot.Id.ToString());
                phase?.SetTag("backup.files", backup.Snapshot.Statistics.Files);
                phase?.SetTag("backup.bytes.stored", backup.Snapshot.Statistics.BytesStored);
            }

            if (backup.MissingPacks > 0)
            {
                Log.PacksMissing(_logger, jobName, job.Repository!, backup.MissingPacks, backup.Snapshot.Id.ToShortString());
            }

            outcome = backup.IsComplete ? BackupJobOutcome.Succeeded : BackupJobOutcome.Partial;
            if (backup.IsComplete)
            {
                _state.UpdateState(jobName, s => s with { LastSuccess = backup.Snapshot.Time });
            }

            if (job.CopyTo.Count > 0)
            {
                // First, so the new snapshot is off site as early as possible; a failed copy never fails the run.
                copies = await CopyAsync(jobName, job, repository, backup.Snapshot, cancellationToken).ConfigureAwait(false);
            }

            var context = new BackupJobContext { JobName = jobName, RepositoryName = job.Repository!, Repository = repository, Result = backup, Services = _services, TimeProvider = _time };
            if (backup.IsComplete && (job.Retention is not null || job.RetentionStep is not null))
            {
                // Only after a complete backup: forgetting on partial snapshots could leave only partial ones.
                using (StartPhase(activities, "backup.retention", jobName))
                {
                    if (job.Retention is { } policy)
                    {
                        retained = await ApplyRetentionAsync(jobName, job, policy, repository, cancellationToken).ConfigureAwait(false);
                    }

                    if (job.RetentionStep is { } retention)
                    {
                        await retention(context, cancellationToken).ConfigureAwait(false);
                    }
                }
            }

            if (job.VerificationStep is { } verify)
            {
                verification = await VerifyAsync(jobName, verify, context, cancellationToken).ConfigureAwait(false);
            }
            else if (job.Verification is { } verificationPolicy && IsVerificationDue(jobName, verificationPolicy))
            {
                verification = await VerifyAsync(jobName, (ctx, ct) => RunVerificationAsync(job, verificationPolicy, ctx, ct), context, cancellationToken).ConfigureAwait(false);
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
        var result = new BackupJobResult { JobName = jobName, Outcome = outcome, StartTime = startTime, Duration = duration, Snapshot = backup?.Snapshot, Error = error, Verification = verification, Copies = copies, Retention = retained };
        var problems = outcome switch
        {
            BackupJobOutcome.Partial => backup!.Problems.Take(BackupJobState.MaxProblemsKept).Select(p => p.ToString()).ToList(),
            BackupJobOutcome.Failed => [error?.Message ?? "the run failed"],
            _ => null,
        };
        // The total that LastRunProblems is the first of: every entry a Partial run missed, a Failed run's one error.
        var problemCount = outcome == BackupJobOutcome.Partial ? backup!.Problems.Count : problems?.Count ?? 0;
        _state.UpdateState(jobName, s => s with { LastRun = _time.GetUtcNow(), LastOutcome = outcome, LastRunProblems = problems, LastRunProblemCount = problemCount });
        _telemetry.RecordRun(jobName, outcome, duration);
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
                LogProblems(jobName, backup.Problems);
                break;
            case BackupJobOutcome.Cancelled:
                activity?.SetStatus(ActivityStatusCode.Error, "cancelled");
                if (backup is not null)
                {
                    Log.JobCancelledAfterSnapshot(_logger, jobName, duration.TotalSeconds, backup.Snapshot.Id.ToShortString());
                }
                else
                {
                    Log.JobCancelled(_logger, jobName, duration.TotalSeconds);
                }
                break;
            default:
                activity?.SetStatus(ActivityStatusCode.Error, error?.Message);
                Log.JobFailed(_logger, jobName, error?.GetType().Name ?? "error", error?.Message ?? string.Empty);
                break;
        }

        await PublishAsync(new BackupJobEvent { JobName = jobName, Kind = BackupJobEventKind.Completed, Time = _time.GetUtcNow(), Result = result }).ConfigureAwait(false);
        if (outcome == BackupJobOutcome.Cancelled)
        {
            // Only a run that really stopped early throws; one that finished as the token fired reports its outcome.
            throw new OperationCanceledException($"Backup job '{jobName}' was cancelled.", null, cancellationToken);
        }

        return result;
    }

    // Bounded: a vanished directory tree can mean thousands of entries; the snapshot itself lists them all.
    private void LogProblems(string jobName, IReadOnlyList<SourceProblem> problems)
    {
        var logged = Math.Min(problems.Count, BackupJobState.MaxProblemsKept);
        for (var i = 0; i < logged; i++)
        {
            Log.EntryNotRead(_logger, jobName, problems[i].Path, problems[i].Reason);
        }

        if (problems.Count > logged)
        {
            Log.MoreEntriesNotRead(_logger, jobName, problems.Count - logged, logged);
        }
    }

    // The service owns the source for the run: it prepares it, reads it, records its facts and disposes of it.
    private Task<BackupResult> BackupAsync(string jobName, BackupJobOptions job, BackupService service, BackupOptions options, CancellationToken cancellationToken) =>
        service.BackupAsync(CreateSource(jobName, job), options, null, cancellationToken);

    private async Task<IReadOnlyList<BackupCopyResult>> CopyAsync(string jobName, BackupJobOptions job, BackupRepository primary, Snapshot snapshot, CancellationToken cancellationToken)
    {
        var results = new List<BackupCopyResult>(job.CopyTo.Count);
        foreach (var destinationName in job.CopyTo)
        {
            using var phase = StartPhase(_telemetry.ActivitySource, "backup.copy", jobName);
            phase?.SetTag("backup.repository", destinationName);
            var started = _time.GetTimestamp();
            BackupCopyResult result;
            try
            {
                var destination = await _repositories.GetAsync(destinationName, cancellationToken).ConfigureAwait(false);
                var wanted = await SelectCopiesAsync(jobName, primary, destination, snapshot, cancellationToken).ConfigureAwait(false);
                var copy = await new RepositoryCopier(primary, destination, _time).CopyAsync(wanted, null, cancellationToken).ConfigureAwait(false);
                result = new BackupCopyResult { Repository = destinationName, Succeeded = true, Copy = copy.Copied.Count > 0 ? copy.Copied[^1] : null, BytesStored = copy.BytesStored, Duration = _time.GetElapsedTime(started) };
                Log.CopySucceeded(_logger, jobName, snapshot.Id.ToShortString(), destinationName, result.Duration.TotalSeconds, result.BytesStored);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                result = new BackupCopyResult { Repository = destinationName, Succeeded = false, Copy = null, BytesStored = 0, Duration = _time.GetElapsedTime(started), Error = e };
                phase?.SetStatus(ActivityStatusCode.Error, e.Message);
                Log.CopyFailed(_logger, jobName, snapshot.Id.ToShortString(), destinationName, e.GetType().Name, e.Message);
            }

            _telemetry.RecordCopy(jobName, destinationName, result.Succeeded, result.BytesStored);
            results.Add(result);
        }

        var failures = results.Where(r => !r.Succeeded).Select(r => $"{r.Repository}: {r.Error?.Message}").ToList();
        _state.UpdateState(jobName, s => s with { LastCopyError = failures.Count == 0 ? null : string.Join("; ", failures) });
        return results;
    }

    /// <summary>
    /// The new snapshot and, when an earlier copy failed, the job's snapshots since the newest one the destination
    /// holds of a snapshot still in the primary (so a failed copy is caught up by the next run). A destination without any copy of the job gets only
    /// the new snapshot, and snapshots older than its newest copy are never copied again (so forgetting old copies
    /// there does not bring them back).
    /// </summary>
    private static async Task<List<Snapshot>> SelectCopiesAsync(string jobName, BackupRepository primary, BackupRepository destination, Snapshot snapshot, CancellationToken cancellationToken)
    {
        var copies = new List<Snapshot>();
        await foreach (var existing in destination.Snapshots.ListAsync(static (_, _) => { }, cancellationToken).ConfigureAwait(false))
        {
            if (BackupJobHistory.IsJobSnapshot(existing, jobName) && existing.Metadata.ContainsKey(RepositoryCopier.OriginKey))
            {
                copies.Add(existing);
            }
        }

        var wanted = new List<Snapshot> { snapshot };
        if (copies.Count == 0)
        {
            return wanted;
        }

        var jobSnapshots = new Dictionary<string, Snapshot>(StringComparer.Ordinal);
        await foreach (var candidate in primary.Snapshots.ListAsync(static (_, _) => { }, cancellationToken).ConfigureAwait(false))
        {
            if (BackupJobHistory.IsJobSnapshot(candidate, jobName))
            {
                jobSnapshots[$"{primary.Config.Id}:{candidate.Id}"] = candidate;
            }
        }

        // A copy counts only where its origin is one of the job's snapshots here with the same time: anyone who may write
        // to the destination can add a "copy" dated far ahead, after which no failed copy would ever be caught up.
        DateTimeOffset? newestCopy = null;
        foreach (var copy in copies)
        {
            if (jobSnapshots.TryGetValue(copy.Metadata[RepositoryCopier.OriginKey], out var original) && original.Time == copy.Time && (newestCopy is null || copy.Time > newestCopy))
            {
                newestCopy = copy.Time;
            }
        }

        if (newestCopy is { } since)
        {
            wanted.AddRange(jobSnapshots.Values.Where(candidate => candidate.Id != snapshot.Id && candidate.Time > since));
        }

        return wanted;
    }

    private async Task<RetentionResult> ApplyRetentionAsync(string jobName, BackupJobOptions job, BackupRetentionOptions retention, BackupRepository repository, CancellationToken cancellationToken)
    {
        var policy = retention.ToPolicy(job.TimeZone);
        var service = new RetentionService(repository, _time, JobDiagnostics(jobName)) { Filter = snapshot => BackupJobHistory.IsJobSnapshot(snapshot, jobName) };
        var result = await service.ApplyAsync(policy, dryRun: false, cancellationToken).ConfigureAwait(false);
        Log.RetentionApplied(_logger, jobName, policy.ToString(), result.Kept.Count(), result.Deleted);
        _telemetry.RecordRetention(jobName, result.Deleted);

        var repositoryName = job.Repository!;
        if (retention.Prune && (result.Deleted > 0 || _pruneOwed.ContainsKey(repositoryName)))
        {
            using var phase = StartPhase(_telemetry.ActivitySource, "backup.prune", jobName);
            try
            {
                var pruned = await new MaintenanceService(repository, _time, JobDiagnostics(jobName)).PruneAsync(new PruneOptions(), null, cancellationToken).ConfigureAwait(false);
                _pruneOwed.TryRemove(repositoryName, out _);
                Log.Pruned(_logger, jobName, repositoryName, pruned.PacksRemoved, Math.Max(0, pruned.BytesBefore - pruned.BytesAfter));
            }
            catch (RepositoryLockedException e)
            {
                // Another job is backing up into the same repository: prune later rather than fail this run.
                _pruneOwed[repositoryName] = 0;
                Log.PruneSkipped(_logger, jobName, repositoryName, e.Message);
            }
        }

        return result;
    }

    private bool IsVerificationDue(string jobName, BackupVerificationOptions verification)
    {
        var state = _state.GetState(jobName);
        if (verification.Every is not { } every || state.LastVerification is not { } last || state.LastVerificationSucceeded != true)
        {
            return true;
        }

        var due = last + every;
        if (_time.GetUtcNow() >= due)
        {
            return true;
        }

        Log.VerificationNotDue(_logger, jobName, due);
        return false;
    }

    /// <summary>A count with its noun in the right number: verification messages go out in alerts people read.</summary>
    private static string Count(long count, string singular, string plural) =>
        string.Create(CultureInfo.InvariantCulture, $"{count} {(count == 1 ? singular : plural)}");

    private async Task<BackupVerificationOutcome> RunVerificationAsync(BackupJobOptions job, BackupVerificationOptions verification, BackupJobContext context, CancellationToken cancellationToken)
    {
        var service = new VerificationService(context.Repository, _time, JobDiagnostics(context.JobName));
        var succeeded = true;
        var parts = new List<string>();
        TimeSpan? restoreDuration = null;
        if (verification.Check || verification.ReadDataSubset is not null)
        {
            var check = await service.CheckAsync(new CheckOptions { ReadDataSubset = verification.ReadDataSubset }, null, cancellationToken).ConfigureAwait(false);
            var errors = check.Errors.ToList();
            succeeded &= errors.Count == 0;
            parts.Add(errors.Count == 0
                ? $"check passed ({Count(check.Snapshots, "snapshot", "snapshots")}, {check.PacksRead} of {Count(check.Packs, "pack", "packs")} read)"
                : $"check found {Count(errors.Count, "error", "errors")} (first: {errors[0]})");
        }

        if (verification.RestoreDrill && job.SourceFactory is null && job.Source is { } sourceName && !_namedSources.ContainsKey(sourceName)
            && _databases.TryGet(sourceName, out var database, out var engine))
        {
            // A database is proven by its engine: restored into a scratch database (or file), compared table by table, dropped.
            var snapshot = context.Result.Snapshot;
            var report = await DatabaseSources.DrillAsync(sourceName, database, engine, verification, context.Repository, snapshot, cancellationToken).ConfigureAwait(false);
            restoreDuration = report.RestoreDuration;
            succeeded &= report.Succeeded;
            parts.Add($"{engine.DisplayName} restore drill of {snapshot.Id.ToShortString()} {(report.Succeeded ? "passed" : "failed")}: {report}");
        }
        else if (verification.RestoreDrill)
        {
            var drill = await service.RestoreDrillAsync(new DrillOptions { Snapshot = context.Result.Snapshot.Id.ToString(), ScratchDirectory = verification.ScratchDirectory }, cancellationToken).ConfigureAwait(false);
            restoreDuration = drill.Duration;
            succeeded &= drill.IsSuccess;
            parts.Add(drill.IsSuccess
                ? $"restore drill of {drill.SnapshotId.ToShortString()} passed ({Count(drill.Files, "file", "files")}, {Count(drill.Bytes, "byte", "bytes")} in {drill.Duration.TotalSeconds:F2} s)"
                : $"restore drill of {drill.SnapshotId.ToShortString()} found {(drill.Problems.Count == 1 ? "1 file that" : $"{drill.Problems.Count} files that")} did not restore exactly");
        }

        return new BackupVerificationOutcome { Succeeded = succeeded, Message = string.Join("; ", parts), RestoreDuration = restoreDuration };
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
            verification = new BackupVerificationOutcome { Succeeded = false, Message = e.Message };
        }

        phase?.SetTag("backup.verification.succeeded", verification.Succeeded);
        if (verification.RestoreDuration is { } restore)
        {
            _telemetry.RecordRestore(jobName, restore);
        }

        _telemetry.RecordVerification(jobName, verification.Succeeded);
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
        else
        {
            Log.VerificationSucceeded(_logger, jobName, verification.Message ?? string.Empty);
        }

        return verification;
    }

    private IBackupSource CreateSource(string jobName, BackupJobOptions job)
    {
        if (job.SourceFactory is { } factory)
        {
            return factory(_services);
        }

        if (job.Source is { } sourceName)
        {
            if (_namedSources.TryGetValue(sourceName, out var named))
            {
                return named.Create(_services);
            }

            return _databases.TryGet(sourceName, out var database, out var engine)
                ? _databases.Create(sourceName, database, engine)
                : throw new InvalidOperationException($"Job '{jobName}' backs up source '{sourceName}', but no source of that name is registered or configured.");
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
