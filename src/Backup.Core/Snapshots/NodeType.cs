namespace Backup.Core.Snapshots;

/// <summary>What a tree node is.</summary>
public enum NodeType
{
    /// <summary>A regular file (or a named stream).</summary>
    File = 0,
    /// <summary>A directory; its children are in <see cref="TreeNode.Subtree"/>.</summary>
    Directory = 1,
    /// <summary>A symbolic link, stored as its target text.</summary>
    Symlink = 2,
    /// <summary>A character or block device, a FIFO or a socket: metadata only.</summary>
    Special = 3,
}
