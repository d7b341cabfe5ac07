using Backup.Core.Repository;

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

    /// <summary>
    /// The snapshots <see cref="RetentionExtensionOptions.Policy"/> would forget, not extended: their lock ends as it
    /// was set (by an earlier run, or by the backup that wrote them), and forget can then delete them. Empty without a
    /// policy.
    /// </summary>
    public IReadOnlyList<BlobId> SnapshotsLeftToLapse { get; init; } = [];

    /// <summary>Packs the index lists that no snapshot the policy keeps uses, not extended. Zero without a policy.</summary>
    public long PacksLeftToLapse { get; init; }

    /// <summary>
    /// The date by which every object left to lapse can be deleted at the latest: its lock was set by an earlier run or
    /// by the write that stored it, each at most one recorded period before this run, so it ends by
    /// <see cref="RetainUntil"/>; it ends sooner the longer ago the policy stopped keeping it. Null when nothing was
    /// left to lapse.
    /// </summary>
    public DateTimeOffset? LeftToLapseBy { get; init; }

    /// <summary>
    /// Why the policy could not decide which packs to leave (a snapshot that does not decode, or data a kept snapshot
    /// references that is missing): every pack the index lists was extended instead, as without a policy, since what
    /// cannot be judged unused must not be left to lapse. The repository is damaged; run check, then repair.
    /// </summary>
    public IReadOnlyList<string> Problems { get; init; } = [];

    /// <summary>How long the run took.</summary>
    public TimeSpan Duration { get; init; }
}
