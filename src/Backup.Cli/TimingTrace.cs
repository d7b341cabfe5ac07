using System.Diagnostics;
using System.Globalization;

namespace Backup.Cli;

/// <summary>
/// Opt-in timing breakdown (<c>BACKUP_TRACE_TIMINGS=1</c>): listens to the "Backup" activities of this command (opening
/// the repository: config, keys, key derivation, index; snapshot listing; lock; the operation itself) and prints each
/// one's duration on stderr when the command ends, with the process's start-up before the command and the whole command.
/// </summary>
/// <remarks>
/// Only activities under this command's own root activity are recorded (same trace ID), so commands run side by side
/// in one process (the tests) do not see each other's. Without the variable nothing listens and the activities are
/// never created.
/// </remarks>
internal sealed class TimingTrace : IDisposable
{
    public const string Variable = "BACKUP_TRACE_TIMINGS";

    private readonly ActivitySource? _source;
    private readonly ActivityListener? _listener;
    private readonly Activity? _root;
    private readonly TimeSpan _startUp;
    private readonly List<(DateTime Start, int Depth, string Name, TimeSpan Duration)> _phases = [];

    public TimingTrace(Func<string, string?> environment)
    {
        if (environment(Variable) is not ("1" or "true" or "yes"))
        {
            return;
        }

        using (var process = Process.GetCurrentProcess())
        {
            _startUp = DateTime.Now - process.StartTime;
        }

        _source = new ActivitySource("Backup.Cli");
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is "Backup" or "Backup.Cli",
            Sample = (ref ActivityCreationOptions<ActivityContext> options) =>
                options.Source == _source || (_root is not null && options.Parent.TraceId == _root.TraceId)
                    ? ActivitySamplingResult.AllData
                    : ActivitySamplingResult.None,
            ActivityStopped = Record,
        };
        ActivitySource.AddActivityListener(_listener);

        // A root of its own, not a child of whatever is current: the command's phases are told apart by its trace ID.
        var current = Activity.Current;
        Activity.Current = null;
        _root = _source.StartActivity("command", ActivityKind.Internal);
        if (_root is null)
        {
            Activity.Current = current;
        }
    }

    public bool Enabled => _root is not null;

    private void Record(Activity activity)
    {
        if (activity == _root || _root is null || activity.TraceId != _root.TraceId)
        {
            return;
        }

        var depth = 0;
        for (var parent = activity.Parent; parent is not null && parent != _root; parent = parent.Parent)
        {
            depth++;
        }

        lock (_phases)
        {
            _phases.Add((activity.StartTimeUtc, depth, activity.OperationName, activity.Duration));
        }
    }

    /// <summary>Ends the command's root activity and prints the breakdown, one phase a line in the order they started.</summary>
    public async Task WriteSummaryAsync(TextWriter error)
    {
        if (_root is null)
        {
            return;
        }

        _root.Stop();
        List<(DateTime Start, int Depth, string Name, TimeSpan Duration)> phases;
        lock (_phases)
        {
            phases = [.. _phases.OrderBy(p => p.Start)];
        }

        await error.WriteLineAsync(Line(0, "start-up", _startUp, " (process start to the command)")).ConfigureAwait(false);
        foreach (var (_, depth, name, duration) in phases)
        {
            await error.WriteLineAsync(Line(depth, name, duration, "")).ConfigureAwait(false);
        }

        await error.WriteLineAsync(Line(0, "command", _root.Duration, " (all of the command after start-up)")).ConfigureAwait(false);
    }

    private static string Line(int depth, string name, TimeSpan duration, string note) =>
        string.Create(CultureInfo.InvariantCulture, $"backup: time: {new string(' ', 2 * depth)}{name} {duration.TotalMilliseconds:F1} ms{note}");

    public void Dispose()
    {
        _root?.Dispose();
        _listener?.Dispose();
        _source?.Dispose();
    }
}
