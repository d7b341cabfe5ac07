using System.Diagnostics;
using System.Diagnostics.Metrics;
using Backup.Core.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Backup.Extensions.DependencyInjection;

/// <summary>
/// The job-level metrics (meter "Backup", from <see cref="IMeterFactory"/>) and traces (ActivitySource "Backup") of
/// the hosting package; the services a job runs report their own operations through <see cref="Diagnostics"/> (same
/// meter and source names). Names are listed in docs/telemetry.md; every measurement carries a "job" tag.
/// </summary>
public sealed class BackupTelemetry : IDisposable
{
    /// <summary>The meter's and the activity source's name: add it to OpenTelemetry with AddMeter("Backup") and AddSource("Backup").</summary>
    public const string Name = BackupDiagnostics.Name;

    private readonly Meter _meter;
    private readonly Counter<long> _runs;
    private readonly Counter<long> _failures;
    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _restoreDuration;
    private readonly Counter<long> _copies;
    private readonly Counter<long> _copyBytes;
    private readonly Counter<long> _forgotten;
    private readonly Counter<long> _verifications;

    /// <summary>
    /// Creates the instruments; <paramref name="jobState"/> feeds the backup.last_success gauge. The services' own
    /// diagnostics use the same <paramref name="meterFactory"/> and log to <paramref name="loggerFactory"/>.
    /// </summary>
    public BackupTelemetry(IMeterFactory meterFactory, IBackupJobStateStore jobState, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        ArgumentNullException.ThrowIfNull(jobState);
        _meter = meterFactory.Create(Name);
        ActivitySource = new ActivitySource(Name);
        Diagnostics = new BackupDiagnostics(meterFactory, loggerFactory);
        _runs = _meter.CreateCounter<long>("backup.runs", "{run}", "Job runs by outcome.");
        _failures = _meter.CreateCounter<long>("backup.run.failures", "{run}", "Job runs that failed.");
        _duration = _meter.CreateHistogram<double>("backup.run.duration", "s", "Duration of a job run.");
        _restoreDuration = _meter.CreateHistogram<double>("backup.restore.rto", "s", "Duration of a restore (drill), to compare with the job's RTO.");
        _copies = _meter.CreateCounter<long>("backup.copy.runs", "{copy}", "Copies of a new snapshot to a secondary repository, by outcome.");
        _copyBytes = _meter.CreateCounter<long>("backup.copy.bytes.stored", "By", "Bytes uploaded to secondary repositories by copies.");
        _forgotten = _meter.CreateCounter<long>("backup.retention.forgotten", "{snapshot}", "Snapshots of the job forgotten by its retention.");
        _verifications = _meter.CreateCounter<long>("backup.verification.runs", "{verification}", "Verifications after a backup, by outcome.");
        _meter.CreateObservableGauge("backup.last_success", () => jobState.GetAllStates()
            .Where(s => s.LastSuccess is not null)
            .Select(s => new Measurement<long>(s.LastSuccess!.Value.ToUnixTimeSeconds(), new KeyValuePair<string, object?>("job", s.JobName))),
            "s", "Unix time of the newest successful run per job.");
    }

    /// <summary>The source of the "backup.run" activity and its phase children.</summary>
    public ActivitySource ActivitySource { get; }

    /// <summary>
    /// What the services a job runs (backup, forget, prune, check, drill) report to, given the job's name as a "job"
    /// tag: they record backup.bytes.read, backup.bytes.stored, backup.bytes.deduplicated, backup.files and the rest.
    /// </summary>
    public BackupDiagnostics Diagnostics { get; }

    /// <summary>Records a finished run (its bytes and files are recorded by the backup itself, through <see cref="Diagnostics"/>).</summary>
    public void RecordRun(string job, BackupJobOutcome outcome, TimeSpan duration)
    {
        var jobTag = new KeyValuePair<string, object?>("job", job);
        _runs.Add(1, jobTag, new KeyValuePair<string, object?>("outcome", outcome.ToString().ToLowerInvariant()));
        _duration.Record(duration.TotalSeconds, jobTag);
        if (outcome == BackupJobOutcome.Failed)
        {
            _failures.Add(1, jobTag);
        }
    }

    /// <summary>Records how long a restore (or restore drill) of <paramref name="job"/>'s data took.</summary>
    public void RecordRestore(string job, TimeSpan duration) =>
        _restoreDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("job", job));

    /// <summary>Records the copy of <paramref name="job"/>'s snapshot to the secondary <paramref name="repository"/>.</summary>
    public void RecordCopy(string job, string repository, bool succeeded, long bytesStored)
    {
        var jobTag = new KeyValuePair<string, object?>("job", job);
        var repositoryTag = new KeyValuePair<string, object?>("backup.repository", repository);
        _copies.Add(1, jobTag, repositoryTag, new KeyValuePair<string, object?>("outcome", succeeded ? "succeeded" : "failed"));
        if (bytesStored > 0)
        {
            _copyBytes.Add(bytesStored, jobTag, repositoryTag);
        }
    }

    /// <summary>Records that <paramref name="job"/>'s retention forgot <paramref name="forgotten"/> snapshots.</summary>
    public void RecordRetention(string job, int forgotten) =>
        _forgotten.Add(forgotten, new KeyValuePair<string, object?>("job", job));

    /// <summary>Records a verification of <paramref name="job"/>'s repository.</summary>
    public void RecordVerification(string job, bool succeeded) =>
        _verifications.Add(1, new KeyValuePair<string, object?>("job", job), new KeyValuePair<string, object?>("outcome", succeeded ? "succeeded" : "failed"));

    /// <inheritdoc/>
    public void Dispose()
    {
        ActivitySource.Dispose();
        _meter.Dispose();
    }
}

/// <summary>A meter factory for containers without one (no host, no AddMetrics); its meters die with the telemetry.</summary>
internal sealed class OwnedMeterFactory : IMeterFactory
{
    private readonly List<Meter> _meters = [];

    public Meter Create(MeterOptions options)
    {
        var meter = new Meter(options);
        lock (_meters)
        {
            _meters.Add(meter);
        }

        return meter;
    }

    public void Dispose()
    {
        lock (_meters)
        {
            _meters.ForEach(m => m.Dispose());
            _meters.Clear();
        }
    }
}
