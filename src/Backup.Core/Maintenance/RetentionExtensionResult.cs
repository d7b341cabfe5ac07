namespace Backup.Core.Maintenance;

/// <summary>What <see cref="MaintenanceService.ExtendRetentionAsync"/> did.</summary>
public sealed record RetentionExtensionResult
{
    /// <summary>The date every live object's lock was extended to: the time of the run plus the recorded period.</summary>
    public required DateTimeOffset RetainUntil { get; init; }

    /// <summary>The recorded lock the run extended in (its period and mode).</summary>
    public required Backup.Core.Storage.RetentionLock RetentionLock { get; init; }

    /// <summary>Objects whose lock now runs until <see cref="RetainUntil"/>.</summary>
    public required long Extended { get; init; }

    /// <summary>Objects already locked past <see cref="RetainUntil"/>, left as they were (a lock is never shortened).</summary>
    public required long AlreadyLockedLonger { get; init; }

    /// <summary>
    /// The earliest date a live object's lock now ends: until then none of the objects the repository needs can be
    /// deleted. Null when the repository holds no object to lock, which cannot happen for one that opened.
    /// </summary>
    public DateTimeOffset? EarliestRetainUntil { get; init; }

    /// <summary>
    /// Objects the repository needs that were not found (a pack the index lists, deleted behind the repository's
    /// back): the repository is damaged; run check, then repair. Every other object was extended all the same.
    /// </summary>
    public IReadOnlyList<string> Missing { get; init; } = [];

    /// <summary>How long the run took.</summary>
    public TimeSpan Duration { get; init; }
}
