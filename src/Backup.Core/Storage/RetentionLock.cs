namespace Backup.Core.Storage;

/// <summary>
/// A retention lock a target writes on new packs and snapshots, as a repository records it in its config: how long
/// each object stays locked from the time it is written, and the storage's lock mode where it has more than one.
/// </summary>
public sealed record RetentionLock
{
    /// <summary>How long each new pack and snapshot stays locked against deletion from the time it is written.</summary>
    public required TimeSpan Period { get; init; }

    /// <summary>
    /// The storage's lock mode in lowercase ("governance" or "compliance" for S3 Object Lock); null where the storage
    /// has one kind of lock (Azure).
    /// </summary>
    public string? Mode { get; init; }

    /// <summary>
    /// Whether a target that writes <paramref name="given"/> keeps this lock: at least as long (longer protects more
    /// and is allowed) and in the same mode (a different one weakens or, for compliance, hardens the lock in a way
    /// the repository's owner did not choose).
    /// </summary>
    /// <param name="given">The lock the target writes; null when it writes none.</param>
    public bool IsKeptBy(RetentionLock? given) =>
        given is not null && given.Period >= Period && (Mode is null || string.Equals(Mode, given.Mode, StringComparison.OrdinalIgnoreCase));

    /// <summary>The lock as an operator writes it: "30d", "36h", with the mode ("30d (governance mode)").</summary>
    public override string ToString()
    {
        var period = Period.Ticks % TimeSpan.TicksPerDay == 0
            ? FormattableString.Invariant($"{(long)Period.TotalDays}d")
            : Period.Ticks % TimeSpan.TicksPerHour == 0 ? FormattableString.Invariant($"{(long)Period.TotalHours}h") : Period.ToString("c", System.Globalization.CultureInfo.InvariantCulture);
        return Mode is null ? period : $"{period} ({Mode} mode)";
    }

    /// <summary>The period alone, as <see cref="ToString"/> writes it ("30d"): what a RetentionLock setting takes.</summary>
    public string PeriodText => (this with { Mode = null }).ToString();
}
