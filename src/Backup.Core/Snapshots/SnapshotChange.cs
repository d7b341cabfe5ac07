namespace Backup.Core.Snapshots;

/// <summary>One difference between two snapshots.</summary>
public sealed record SnapshotChange
{
    /// <summary>The '/'-separated path.</summary>
    public required string Path { get; init; }

    /// <summary>What changed.</summary>
    public required SnapshotChangeKind Kind { get; init; }

    /// <summary>The node in the older snapshot (null when added).</summary>
    public required TreeNode? Old { get; init; }

    /// <summary>The node in the newer snapshot (null when removed).</summary>
    public required TreeNode? New { get; init; }

    /// <summary>Whether a file's content differs (not just its metadata).</summary>
    public bool ContentChanged => Kind == SnapshotChangeKind.Changed && Old is not null && New is not null && !SnapshotDiff.SameContent(Old, New);
}
