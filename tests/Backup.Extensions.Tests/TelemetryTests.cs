using System.Diagnostics;
using Backup.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Backup.Extensions.Tests;

public sealed class TelemetryTests
{
    [Fact]
    public async Task Metrics_and_traces_show_up_in_the_OpenTelemetry_in_memory_exporter_with_the_documented_names()
    {
        var metrics = new List<Metric>();
        var activities = new List<Activity>();
        await using var provider = TestSupport.Build(
            configure: b =>
            {
                b.AddJob("otel-ok", j =>
                {
                    j.Repository = "main";
                    j.SourceFactory = _ => TestSupport.Export("otel.bin", 4096);
                    j.PreHooks.Add(new BackupHookOptions { Name = "flush", Action = (_, _) => Task.CompletedTask });
                    j.RetentionStep = (_, _) => Task.CompletedTask;
                    j.VerificationStep = (_, _) => Task.FromResult(new BackupVerificationOutcome { Succeeded = true, Message = "drill ok", RestoreDuration = TimeSpan.FromSeconds(2) });
                });
                b.AddJob("otel-broken", j =>
                {
                    j.Repository = "main";
                    j.SourceFactory = _ => throw new InvalidOperationException("no source");
                });
            },
            services: s => s.AddOpenTelemetry()
                .WithMetrics(m => m.AddMeter(BackupTelemetry.Name).AddInMemoryExporter(metrics))
                .WithTracing(t => t.AddSource(BackupTelemetry.Name).AddInMemoryExporter(activities)));
        var meterProvider = provider.GetRequiredService<MeterProvider>();
        _ = provider.GetRequiredService<TracerProvider>();
        var runner = provider.GetRequiredService<IBackupJobRunner>();

        (await runner.RunAsync("otel-ok")).Outcome.Should().Be(BackupJobOutcome.Succeeded);
        (await runner.RunAsync("otel-broken")).Outcome.Should().Be(BackupJobOutcome.Failed);
        meterProvider.ForceFlush();

        metrics.Select(m => m.Name).Distinct().Should().Contain(
        [
            "backup.bytes.read", "backup.bytes.stored", "backup.bytes.deduplicated", "backup.files", "backup.runs",
            "backup.run.duration", "backup.run.failures", "backup.last_success", "backup.restore.rto",
        ]);
        metrics.First(m => m.Name == "backup.run.duration").Unit.Should().Be("s");
        // The listener sees every "Backup" meter in the process (tests run in parallel), so look for this test's jobs.
        JobTags(metrics.Where(m => m.Name == "backup.run.failures")).Should().Contain("otel-broken").And.NotContain("otel-ok");
        JobTags(metrics.Where(m => m.Name == "backup.last_success")).Should().Contain("otel-ok").And.NotContain("otel-broken");
        JobTags(metrics.Where(m => m.Name == "backup.bytes.stored")).Should().Contain("otel-ok");
        JobTags(metrics.Where(m => m.Name == "backup.restore.rto")).Should().Contain("otel-ok");

        var run = activities.Single(a => a.OperationName == "backup.run" && (string?)a.GetTagItem("job") == "otel-ok");
        var phases = activities.Where(a => a.TraceId == run.TraceId && a.ParentSpanId == run.SpanId).ToList();
        phases.Select(a => a.OperationName).Should().BeEquivalentTo(
            ["backup.hook", "backup.repository.open", "backup.snapshot", "backup.retention", "backup.verification"]);
        phases.Should().OnlyContain(a => (string?)a.GetTagItem("job") == "otel-ok");
        // Below the job's phases, the backup service traces its own operation (Backup.Core's "backup" activity).
        var snapshotPhase = phases.Single(a => a.OperationName == "backup.snapshot");
        var operations = activities.Where(a => a.TraceId == run.TraceId && a.ParentSpanId != run.SpanId && a != run).ToList();
        // Opening the repository reports its own phases (docs/telemetry.md) below the job's open phase.
        var openPhase = phases.Single(a => a.OperationName == "backup.repository.open");
        operations.Where(a => a.ParentSpanId == openPhase.SpanId).Select(a => a.OperationName).Should().Contain("open.config");
        operations.Where(a => a.ParentSpanId == snapshotPhase.SpanId)
            .Should().ContainSingle().Which.Should().Match<Activity>(a =>
            a.OperationName == "backup" && a.ParentSpanId == snapshotPhase.SpanId && (string?)a.GetTagItem("job") == "otel-ok" && (string?)a.GetTagItem("backup.outcome") == "succeeded");
        run.GetTagItem("backup.outcome").Should().Be("Succeeded");
        activities.Single(a => a.OperationName == "backup.run" && (string?)a.GetTagItem("job") == "otel-broken").Status.Should().Be(ActivityStatusCode.Error);
    }

    private static List<string?> JobTags(IEnumerable<Metric> metrics)
    {
        var jobs = new List<string?>();
        foreach (var metric in metrics)
        {
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                foreach (var tag in point.Tags)
                {
                    if (tag.Key == "job")
                    {
                        jobs.Add(tag.Value as string);
                    }
                }
            }
        }

        return jobs;
    }
}
