using System.Globalization;

namespace Backup.Extensions.DependencyInjection;

/// <summary>
/// One alert about one job run, as every channel receives it. It carries no secret: <see cref="Error"/> is the
/// error's message (library messages never contain secrets), shortened.
/// </summary>
public sealed record BackupAlert
{
    /// <summary>A unique id of this alert, the same on every channel and every retry (receivers can drop duplicates).</summary>
    public required string Id { get; init; }

    /// <summary>The job.</summary>
    public required string JobName { get; init; }

    /// <summary>What the alert reports.</summary>
    public required BackupAlertOutcome Outcome { get; init; }

    /// <summary>How the run itself ended (a Recovered alert reports a Succeeded run).</summary>
    public required BackupJobOutcome JobOutcome { get; init; }

    /// <summary>The host that ran the job.</summary>
    public required string Host { get; init; }

    /// <summary>When the run started.</summary>
    public required DateTimeOffset StartTime { get; init; }

    /// <summary>When the run ended.</summary>
    public required DateTimeOffset EndTime { get; init; }

    /// <summary>The snapshot written (its full id), if any.</summary>
    public string? SnapshotId { get; init; }

    /// <summary>Files (and streams) in the snapshot, if one was written.</summary>
    public long? Files { get; init; }

    /// <summary>Bytes the run added to storage, if a snapshot was written.</summary>
    public long? BytesStored { get; init; }

    /// <summary>Entries that could not be read (a Partial snapshot has some).</summary>
    public long Problems { get; init; }

    /// <summary>Why the run failed, if it did (a shortened message without secrets).</summary>
    public string? Error { get; init; }

    /// <summary>The verification's result message, if verification ran.</summary>
    public string? Verification { get; init; }

    /// <summary>Whether the verification passed, if it ran.</summary>
    public bool? VerificationSucceeded { get; init; }

    /// <summary>Secondary repositories the snapshot could not be copied to.</summary>
    public IReadOnlyList<string> FailedCopies { get; init; } = [];

    /// <summary>How many alerts of the same job and outcome were suppressed since the previous one was sent.</summary>
    public int Suppressed { get; init; }

    /// <summary>How long the run took.</summary>
    public TimeSpan Duration => EndTime - StartTime;

    /// <summary>A one-line title, e.g. <c>Backup job nightly failed on web-01</c>.</summary>
    public string Title => $"Backup job {JobName} {Verb} on {Host}";

    /// <summary>The facts worth reading, in order, as name and value (only those that apply).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Facts
    {
        get
        {
            var facts = new List<KeyValuePair<string, string>>
            {
                new("Outcome", Outcome == BackupAlertOutcome.Recovered ? $"Recovered ({JobOutcome})" : Outcome.ToString()),
                new("Started", StartTime.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture)),
                new("Duration", FormatDuration(Duration)),
            };
            if (SnapshotId is not null)
            {
                facts.Add(new("Snapshot", SnapshotId.Length > 8 ? SnapshotId[..8] : SnapshotId));
                facts.Add(new("Files", Files.GetValueOrDefault().ToString("N0", CultureInfo.InvariantCulture)));
                facts.Add(new("Stored", FormatBytes(BytesStored.GetValueOrDefault())));
            }

            if (Problems > 0)
            {
                facts.Add(new("Unreadable entries", Problems.ToString(CultureInfo.InvariantCulture)));
            }

            if (Error is not null)
            {
                facts.Add(new("Error", Error));
            }

            if (VerificationSucceeded is { } verified)
            {
                facts.Add(new("Verification", (verified ? "passed" : "FAILED") + (string.IsNullOrEmpty(Verification) ? string.Empty : ": " + Verification)));
            }

            if (FailedCopies.Count > 0)
            {
                facts.Add(new("Copy failed to", string.Join(", ", FailedCopies)));
            }

            if (Suppressed > 0)
            {
                facts.Add(new("Suppressed", $"{Suppressed} earlier {(Suppressed == 1 ? "alert" : "alerts")} like this one since the last sent"));
            }

            return facts;
        }
    }

    /// <summary>The title and the facts as plain text lines (an email body, a log line).</summary>
    public string ToText() => Title + Environment.NewLine + Environment.NewLine
        + string.Join(Environment.NewLine, Facts.Select(f => $"{f.Key}: {f.Value}")) + Environment.NewLine;

    private string Verb => Outcome switch
    {
        BackupAlertOutcome.Succeeded => "succeeded",
        BackupAlertOutcome.Partial => "wrote a partial snapshot",
        BackupAlertOutcome.Degraded => FailedCopies.Count > 0 ? "succeeded but a copy failed" : "succeeded but verification failed",
        BackupAlertOutcome.Recovered => "recovered",
        _ => "failed",
    };

    private static string FormatDuration(TimeSpan duration) => duration.TotalSeconds < 60
        ? duration.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture) + " s"
        : duration.ToString(duration.TotalHours >= 1 ? @"h\:mm\:ss" : @"m\:ss", CultureInfo.InvariantCulture);

    private static string FormatBytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0 ? $"{bytes} B" : value.ToString("F1", CultureInfo.InvariantCulture) + " " + units[unit];
    }
}
