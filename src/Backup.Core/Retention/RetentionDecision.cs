using Backup.Core.Snapshots;

namespace Backup.Core.Retention;

/// <summary>The verdict on one snapshot, with every reason that kept it.</summary>
public sealed record RetentionDecision
{
    /// <summary>The snapshot.</summary>
    public required Snapshot Snapshot { get; init; }

    /// <summary>Keep or remove.</summary>
    public required RetentionAction Action { get; init; }

    /// <summary>Why it is kept, one entry per rule that kept it ("last 3", "daily 2 (2026-11-24)", "within 7d", "tag prod", "pinned", "future-dated"); empty when it is removed.</summary>
    public required IReadOnlyList<string> Reasons { get; init; }

    /// <summary>Whether the snapshot is kept.</summary>
    public bool IsKept => Action == RetentionAction.Keep;
}
