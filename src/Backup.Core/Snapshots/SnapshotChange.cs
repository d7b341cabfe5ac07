namespace Backup.Core.Snapshots;

/// <summary>One difference between two snapshots.</summary>
/// <param name="Path">The '/'-separated path.</param>
/// <param name="Kind">What changed.</param>
/// <param name="Old">The node in the older snapshot (null when added).</param>
/// <param name="New">The node in the newer snapshot (null when removed).</param>
public sealed record SnapshotChange(string Path, SnapshotChangeKind Kind, TreeNode? Old, TreeNode? New)
{
    /// <summary>Whether a file's content differs (not just its metadata).</summary>
    public bool ContentChanged => Kind == SnapshotChangeKind.Changed && Old is not null && New is not null && !SnapshotDiff.SameContent(Old, New);
}
