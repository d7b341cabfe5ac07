using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Backup.Core.Crypto;
using Backup.Core.Diagnostics;
using Backup.Core.Maintenance;
using Backup.Core.Pipeline;
using Backup.Core.Repository;
using Backup.Core.Restore;
using Backup.Core.Retention;
using Backup.Core.Sources;
using Backup.Core.Storage;
using Backup.Core.Tests.Support;
using Backup.Core.Verification;
using Microsoft.Extensions.Logging;

namespace Backup.Core.Tests;

/// <summary>An app that calls the services directly, with no host, sees the activities, metrics and logs a hosted job sees.</summary>
public sealed class DiagnosticsTests : IDisposable
{
    // Listeners are process-wide and tests run in parallel: activities are told apart by a tag only this test adds,
    // measurements by the meters of this test's own factory.
    private readonly string _run = Guid.NewGuid().ToString("N");
    private readonly TestMeterFactory _meters = new();
    private readonly CapturingLoggerFactory _logs = new();
    private readonly ConcurrentQueue<Activity> _activities = new();
    private readonly ConcurrentQueue<(string Name, double Value, Dictionary<string, object?> Tags)> _measurements = new();
    private readonly ActivityListener _activityListener;
    private readonly MeterListener _meterListener;

    public DiagnosticsTests()
    {
        _activityListener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == BackupDiagnostics.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if ((string?)activity.GetTagItem("test.run") == _run)
                {
                    _activities.Enqueue(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(_activityListener);
        _meterListener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (_meters.Created(instrument.Meter))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        _meterListener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _meterListener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _meterListener.Start();
    }

    [Fact]
    public async Task Backup_restore_check_drill_forget_and_prune_each_trace_measure_and_log()
    {
        var diagnostics = new BackupDiagnostics(_meters, _logs).WithTags(new KeyValuePair<string, object?>("test.run", _run));
        var target = new InMemoryTarget();
        var data = new byte[3_000_000];
        new Random(7).NextBytes(data);
        await using var repository = await BackupRepository.InitAsync(target, RepositoryCredentials.FromKeyFile(RepositoryCredentials.GenerateKeyFile()));
        using var scratch = new TempDirectory();

        var first = await new BackupService(repository, diagnostics: diagnostics).BackupAsync(StreamSource.FromStream("data.bin", new MemoryStream(data)));
        var second = await new BackupService(repository, diagnostics: diagnostics).BackupAsync(StreamSource.FromStream("data.bin", new MemoryStream(data)));
        var restored = await new RestoreService(repository, diagnostics: diagnostics).RestoreAsync(second.Snapshot, Path.Combine(scratch.Path, "restore"));
        var check = await new VerificationService(repository, diagnostics: diagnostics).CheckAsync(new CheckOptions { ReadData = true });
        var drill = await new VerificationService(repository, diagnostics: diagnostics).RestoreDrillAsync(new DrillOptions { ScratchDirectory = Path.Combine(scratch.Path, "drill") });
        var forget = await new RetentionService(repository, diagnostics: diagnostics).ApplyAsync(new RetentionPolicy { KeepLast = 1 }, dryRun: false);
        await new MaintenanceService(repository, diagnostics: diagnostics).PruneAsync(new PruneOptions());

        forget.Deleted.Should().Be(1);
        _activities.Select(a => a.OperationName).Should().Equal("backup", "backup", "restore", "check", "drill", "forget", "prune");
        _activities.Should().OnlyContain(a => (string?)a.GetTagItem("backup.repository") == target.Description && (string?)a.GetTagItem("backup.outcome") == "succeeded");
        var backupActivity = _activities.First();
        backupActivity.GetTagItem("backup.snapshot.id").Should().Be(first.Snapshot.Id.ToString());
        backupActivity.GetTagItem("backup.bytes.read").Should().Be(first.Snapshot.Statistics.BytesRead);
        _activities.Single(a => a.OperationName == "restore").GetTagItem("backup.snapshot.id").Should().Be(second.Snapshot.Id.ToString());

        var statistics = new[] { first.Snapshot.Statistics, second.Snapshot.Statistics };
        Sum("backup.bytes.read").Should().Be(statistics.Sum(s => s.BytesRead)).And.BeGreaterThanOrEqualTo(data.Length);
        Sum("backup.bytes.stored").Should().Be(statistics.Sum(s => s.BytesStored)).And.BeGreaterThan(0);
        Sum("backup.bytes.deduplicated").Should().Be(statistics.Sum(s => Math.Max(0, s.TotalBytes - s.BytesAdded))).And.BeGreaterThan(data.Length / 2, "the second backup found its content already stored");
        Sum("backup.files").Should().Be(statistics.Sum(s => s.Files)).And.BeGreaterThan(0);
        Sum("restore.bytes.written").Should().Be(restored.Bytes).And.Be(data.Length);
        Sum("check.bytes.read").Should().Be(check.BytesRead).And.BeGreaterThan(0);
        _measurements.Should().NotContain(m => m.Name == "check.problems");
        Sum("drill.files").Should().Be(drill.Files);
        Sum("forget.snapshots").Should().Be(1);
        Sum("prune.packs.deleted").Should().Be(0, "the forgotten snapshot's data is still used by the one kept");
        var durations = _measurements.Where(m => m.Name == "backup.operation.duration").ToList();
        durations.Select(m => m.Tags["operation"]).Should().Equal("backup", "backup", "restore", "check", "drill", "forget", "prune");
        durations.Should().OnlyContain(m => (string?)m.Tags["outcome"] == "succeeded" && (string?)m.Tags["test.run"] == _run);

        _logs.Entries.Where(e => e.Level >= LogLevel.Information).Select(e => e.EventId).Should().Equal(110, 110, 120, 130, 131, 142, 140);
        _logs.Entries.Single(e => e.EventId == 120).Message.Should().Contain(second.Snapshot.Id.ToShortString()).And.Contain($"{data.Length} bytes written");
    }

    [Fact]
    public async Task A_failed_operation_ends_its_activity_in_error_and_logs_why()
    {
        var diagnostics = new BackupDiagnostics(_meters, _logs).WithTags(new KeyValuePair<string, object?>("test.run", _run));
        await using var repository = await BackupRepository.InitAsync(new InMemoryTarget(), RepositoryCredentials.FromKeyFile(RepositoryCredentials.GenerateKeyFile()));

        var forget = () => new RetentionService(repository, diagnostics: diagnostics).ApplyAsync(new RetentionPolicy(), dryRun: true);

        await forget.Should().ThrowAsync<ArgumentException>();
        var activity = _activities.Should().ContainSingle().Subject;
        activity.OperationName.Should().Be("forget");
        activity.Status.Should().Be(ActivityStatusCode.Error);
        activity.GetTagItem("backup.outcome").Should().Be("failed");
        _measurements.Single(m => m.Name == "backup.operation.duration").Tags["outcome"].Should().Be("failed");
        _logs.Entries.Should().ContainSingle(e => e.Level == LogLevel.Error).Which.Message.Should().Contain("forget").And.Contain("ArgumentException");
    }

    public void Dispose()
    {
        _meterListener.Dispose();
        _activityListener.Dispose();
        _meters.Dispose();
    }

    private long Sum(string instrument) => (long)_measurements.Where(m => m.Name == instrument).Sum(m => m.Value);

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var map = new Dictionary<string, object?>();
        foreach (var tag in tags)
        {
            map[tag.Key] = tag.Value;
        }

        _measurements.Enqueue((instrument.Name, value, map));
    }

    private sealed class TestMeterFactory : IMeterFactory
    {
        private readonly ConcurrentBag<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options);
            _meters.Add(meter);
            return meter;
        }

        public bool Created(Meter meter) => _meters.Contains(meter);

        public void Dispose()
        {
            foreach (var meter in _meters)
            {
                meter.Dispose();
            }
        }
    }

    private sealed class CapturingLoggerFactory : ILoggerFactory, ILogger
    {
        public ConcurrentQueue<(LogLevel Level, int EventId, string Message)> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => this;

        public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Enqueue((logLevel, eventId.Id, formatter(state, exception)));

        public void Dispose()
        {
        }
    }
}
