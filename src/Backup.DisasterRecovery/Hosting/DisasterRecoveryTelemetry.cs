using System.Diagnostics.Metrics;

namespace Backup.DisasterRecovery;

/// <summary>
/// The gauges backup.dr.rpo.achieved and backup.dr.rto.achieved (seconds, tag "system") on the "Backup" meter: what
/// the newest successful drill of each system achieved, as this process knows it (a system not yet drilled or read
/// has no measurement).
/// </summary>
internal sealed class DisasterRecoveryTelemetry : IDisposable
{
    /// <summary>The meter's name, the same as the hosting package's, so AddMeter("Backup") collects these too.</summary>
    public const string MeterName = "Backup";

    private readonly Meter _meter;

    public DisasterRecoveryTelemetry(IMeterFactory meterFactory, RecoveryPlan plan, RecoveryDrillHistory history)
    {
        _meter = meterFactory.Create(MeterName);
        _meter.CreateObservableGauge("backup.dr.rpo.achieved", () => Measure(plan, history, d => d.AchievedRpo), "s", "Achieved recovery point of each system's newest successful drill.");
        _meter.CreateObservableGauge("backup.dr.rto.achieved", () => Measure(plan, history, d => d.AchievedRto), "s", "Achieved recovery time of each system's newest successful drill.");
    }

    /// <summary>The meter the gauges are on.</summary>
    public Meter Meter => _meter;

    public void Dispose() => _meter.Dispose();

    private static IEnumerable<Measurement<double>> Measure(RecoveryPlan plan, RecoveryDrillHistory history, Func<RecoveryDrillResult, TimeSpan?> value)
    {
        foreach (var system in plan.Systems.Keys)
        {
            if (history.GetKnown(system).LastSuccess is { } drill && value(drill) is { } measured)
            {
                yield return new Measurement<double>(measured.TotalSeconds, new KeyValuePair<string, object?>("system", system));
            }
        }
    }
}
