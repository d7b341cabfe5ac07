namespace Backup.Core.Snapshots;

/// <summary>How a path differs between two snapshots.</summary>
public enum SnapshotChangeKind
{
    /// <summary>Only in the newer snapshot.</summary>
    Added = 0,

    /// <summary>Only in the older snapshot.</summary>
    Removed = 1,

    /// <summary>In both, with different content, type or metadata.</summary>
    Changed = 2,
}
