namespace Backup.Extensions.DependencyInjection;

/// <summary>
/// Lets the same (job, outcome) alert at most once per interval and counts what it held back, so the next alert
/// of that kind can say how many were suppressed. In memory: a restart alerts again.
/// </summary>
internal sealed class AlertRateLimiter
{
    private readonly Dictionary<(string Job, BackupAlertOutcome Outcome), Entry> _entries = new(new KeyComparer());
    private readonly Lock _lock = new();

    /// <summary>Whether an alert may go now; if so, <paramref name="suppressed"/> is how many were held back since the last.</summary>
    public bool TryAcquire(string job, BackupAlertOutcome outcome, DateTimeOffset now, TimeSpan interval, out int suppressed)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue((job, outcome), out var entry) && now - entry.LastSent < interval)
            {
                entry.Suppressed++;
                suppressed = entry.Suppressed;
                return false;
            }

            suppressed = entry?.Suppressed ?? 0;
            _entries[(job, outcome)] = new Entry { LastSent = now };
            return true;
        }
    }

    private sealed class Entry
    {
        public DateTimeOffset LastSent { get; init; }

        public int Suppressed { get; set; }
    }

    // Job names are case-insensitive everywhere in hosting.
    private sealed class KeyComparer : IEqualityComparer<(string Job, BackupAlertOutcome Outcome)>
    {
        public bool Equals((string Job, BackupAlertOutcome Outcome) x, (string Job, BackupAlertOutcome Outcome) y) =>
            x.Outcome == y.Outcome && StringComparer.OrdinalIgnoreCase.Equals(x.Job, y.Job);

        public int GetHashCode((string Job, BackupAlertOutcome Outcome) obj) =>
            HashCode.Combine(StringComparer.OrdinalIgnoreCase.GetHashCode(obj.Job), obj.Outcome);
    }
}
