namespace Backup.Core.Snapshots;

/// <summary>The entries of one directory, sorted by name (ordinal); stored as a tree blob.</summary>
/// <param name="Nodes">The entries.</param>
public sealed record Tree(IReadOnlyList<TreeNode> Nodes);
