using System.Runtime.CompilerServices;
using Backup.Core.Repository;

namespace Backup.Core.Snapshots;

/// <summary>Walks the trees of a snapshot, loading one directory at a time.</summary>
public static class SnapshotWalker
{
    /// <summary>Yields every node below <paramref name="tree"/>, depth-first, each directory before its contents, with '/'-separated paths.</summary>
    /// <param name="snapshots">Where the trees are stored.</param>
    /// <param name="tree">The tree to walk (a snapshot's root or a directory's subtree).</param>
    /// <param name="cancellationToken">Stops the walk.</param>
    /// <exception cref="RepositoryCorruptException">A tree is missing or damaged.</exception>
    public static IAsyncEnumerable<(string Path, TreeNode Node)> WalkAsync(SnapshotStore snapshots, BlobId tree, CancellationToken cancellationToken = default) =>
        WalkAsync(snapshots, tree, string.Empty, cancellationToken);

    /// <summary>Like <see cref="WalkAsync(SnapshotStore, BlobId, CancellationToken)"/>, with every path prefixed by <paramref name="pathPrefix"/> and '/'.</summary>
    /// <param name="snapshots">Where the trees are stored.</param>
    /// <param name="tree">The tree to walk.</param>
    /// <param name="pathPrefix">The path of the directory <paramref name="tree"/> belongs to ("" for the root).</param>
    /// <param name="cancellationToken">Stops the walk.</param>
    public static async IAsyncEnumerable<(string Path, TreeNode Node)> WalkAsync(SnapshotStore snapshots, BlobId tree, string pathPrefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(snapshots);
        ArgumentNullException.ThrowIfNull(pathPrefix);
        var stack = new Stack<(string Prefix, IEnumerator<TreeNode> Nodes)>();
        var root = await snapshots.LoadTreeAsync(tree, cancellationToken).ConfigureAwait(false);
        stack.Push((pathPrefix.Trim('/'), root.Nodes.GetEnumerator()));
        while (stack.Count > 0)
        {
            var (prefix, nodes) = stack.Peek();
            if (!nodes.MoveNext())
            {
                nodes.Dispose();
                stack.Pop();
                continue;
            }

            var node = nodes.Current;
            var path = Join(prefix, node.Name);
            yield return (path, node);
            if (node.Type == NodeType.Directory && node.Subtree is { } subtree)
            {
                var children = await snapshots.LoadTreeAsync(subtree, cancellationToken).ConfigureAwait(false);
                stack.Push((path, children.Nodes.GetEnumerator()));
            }
        }
    }

    /// <summary>Finds the node at <paramref name="path"/> (with or without a leading '/'); "" or "/" is the root, returned as a nameless directory.</summary>
    /// <returns>The node, or null when the snapshot has no such path.</returns>
    public static async Task<TreeNode?> FindAsync(SnapshotStore snapshots, Snapshot snapshot, string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(snapshots);
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(path);
        var node = new TreeNode { Name = string.Empty, Type = NodeType.Directory, Subtree = snapshot.Tree };
        foreach (var segment in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (node.Type != NodeType.Directory || node.Subtree is not { } subtree)
            {
                return null;
            }

            var tree = await snapshots.LoadTreeAsync(subtree, cancellationToken).ConfigureAwait(false);
            var found = FindChild(tree, segment);
            if (found is null)
            {
                return null;
            }

            node = found;
        }

        return node;
    }

    internal static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "/" + name;

    private static TreeNode? FindChild(Tree tree, string name)
    {
        // Trees are stored sorted ordinal, but a binary search would trust that; a damaged tree must still answer correctly.
        foreach (var node in tree.Nodes)
        {
            if (string.Equals(node.Name, name, StringComparison.Ordinal))
            {
                return node;
            }
        }

        return null;
    }
}
