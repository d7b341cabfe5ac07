using Backup.Core.Snapshots;

namespace Backup.Core.Retention;

/// <summary>The verdict on one snapshot, with every reason that kept it.</summary>
/// <param name="Snapshot">The snapshot.</param>
/// <param name="Action">Keep or remove.</param>
/// <param name="Reasons">
/// Why it is kept, one entry per rule that kept it ("last 3", "daily 2 (2026-11-24)", "within 7d", "tag prod",
/// "pinned", "future-dated"); empty when it is removed.
/// </param>
public sealed record RetentionDecision(Snapshot Snapshot, RetentionAction Action, IReadOnlyList<string> Reasons)
{
    /// <summary>Whether the snapshot is kept.</summary>
    public bool IsKept => Action == RetentionAction.Keep;
}
