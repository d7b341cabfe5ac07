using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Backup.Extensions.DependencyInjection;

namespace Backup.Extensions.Tests;

/// <summary>
/// Records measurements of the "Backup" meters for one job. The listener sees every "Backup" meter in the process
/// (tests run in parallel), so each test uses a job name of its own.
/// </summary>
internal sealed class MetricCapture : IDisposable
{
    private readonly MeterListener _listener = new();

    public MetricCapture(string job)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == BackupTelemetry.Name)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(job, instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(job, instrument, value, tags));
        _listener.Start();
    }

    public ConcurrentQueue<(string Name, double Value, Dictionary<string, object?> Tags)> Measurements { get; } = new();

    public void Dispose() => _listener.Dispose();

    private void Record(string job, Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var values = new Dictionary<string, object?>();
        foreach (var tag in tags)
        {
            values[tag.Key] = tag.Value;
        }

        if (values.TryGetValue("job", out var name) && (string?)name == job)
        {
            Measurements.Enqueue((instrument.Name, value, values));
        }
    }
}
