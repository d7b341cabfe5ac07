namespace Backup.Core.Storage;

/// <summary>
/// What <see cref="IRetentionLockingTarget.ExtendRetentionAsync"/> did to one object's retention lock: extended it to
/// the date asked for, or left it because it already ran longer (a lock is never shortened).
/// </summary>
public sealed record RetentionExtension
{
    /// <summary>
    /// True when the object is now locked until the date asked for; false when it was already locked longer and
    /// was left as it was.
    /// </summary>
    public required bool Extended { get; init; }

    /// <summary>The date the object's lock runs until now: the date asked for, or the later one it already had.</summary>
    public required DateTimeOffset RetainUntil { get; init; }

    /// <summary>
    /// The date S3 and Azure store for a retention asked to run until <paramref name="requested"/>: they keep whole
    /// seconds, and rounding up never locks for less than asked.
    /// </summary>
    /// <param name="requested">The date asked for.</param>
    public static DateTimeOffset WholeSecondAtOrAfter(DateTimeOffset requested)
    {
        var ticks = (requested.UtcTicks + TimeSpan.TicksPerSecond - 1) / TimeSpan.TicksPerSecond * TimeSpan.TicksPerSecond;
        return new DateTimeOffset(ticks, TimeSpan.Zero);
    }
}
