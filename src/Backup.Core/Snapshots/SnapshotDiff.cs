using System.Runtime.CompilerServices;
using Backup.Core.Repository;

namespace Backup.Core.Snapshots;

/// <summary>
/// Compares two snapshots by walking both trees side by side, one directory at a time; a directory whose
/// subtree has the same ID in both is identical and is not read at all.
/// </summary>
public static class SnapshotDiff
{
    /// <summary>Yields what was added, removed and changed from <paramref name="older"/> to <paramref name="newer"/>, in path order.</summary>
    /// <remarks>
    /// A directory is reported as changed only for its own mode, owner or type; its modification time follows its
    /// contents and would only repeat what the entries below it already say.
    /// </remarks>
    public static IAsyncEnumerable<SnapshotChange> CompareAsync(SnapshotStore snapshots, Snapshot older, Snapshot newer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(snapshots);
        ArgumentNullException.ThrowIfNull(older);
        ArgumentNullException.ThrowIfNull(newer);
        return CompareTreesAsync(snapshots, older.Tree, newer.Tree, string.Empty, cancellationToken);
    }

    /// <summary>Whether two nodes hold the same content (same chunks, same size).</summary>
    public static bool SameContent(TreeNode a, TreeNode b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return a.Size == b.Size && (a.Content ?? []).SequenceEqual(b.Content ?? []);
    }

    private static async IAsyncEnumerable<SnapshotChange> CompareTreesAsync(SnapshotStore snapshots, BlobId? olderTree, BlobId? newerTree, string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (olderTree == newerTree)
        {
            yield break;
        }

        // One nested iterator per directory level: see TreeRecursion, here and where a level passes a change up or is
        // asked for the next (both run through every level below).
        await TreeRecursion.EnsureStackAsync().ConfigureAwait(false);

        var older = olderTree is { } o ? Sorted((await snapshots.LoadTreeAsync(o, cancellationToken).ConfigureAwait(false)).Nodes) : [];
        var newer = newerTree is { } n ? Sorted((await snapshots.LoadTreeAsync(n, cancellationToken).ConfigureAwait(false)).Nodes) : [];
        int i = 0, j = 0;
        while (i < older.Count || j < newer.Count)
        {
            var order = i == older.Count ? 1 : j == newer.Count ? -1 : string.CompareOrdinal(older[i].Name, newer[j].Name);
            if (order < 0)
            {
                await foreach (var change in SideAsync(snapshots, older[i++], prefix, SnapshotChangeKind.Removed, cancellationToken).ConfigureAwait(false))
                {
                    yield return change;
                }
            }
            else if (order > 0)
            {
                await foreach (var change in SideAsync(snapshots, newer[j++], prefix, SnapshotChangeKind.Added, cancellationToken).ConfigureAwait(false))
                {
                    yield return change;
                }
            }
            else
            {
                var a = older[i++];
                var b = newer[j++];
                var path = SnapshotWalker.Join(prefix, a.Name);
                if (a.Type != b.Type)
                {
                    yield return new SnapshotChange { Path = path, Kind = SnapshotChangeKind.Changed, Old = a, New = b };
                    await foreach (var change in CompareTreesAsync(snapshots, a.Type == NodeType.Directory ? a.Subtree : null, b.Type == NodeType.Directory ? b.Subtree : null, path, cancellationToken).ConfigureAwait(false))
                    {
                        await TreeRecursion.EnsureStackAsync().ConfigureAwait(false);
                        yield return change;
                        await TreeRecursion.EnsureStackAsync().ConfigureAwait(false);
                    }
                }
                else if (a.Type == NodeType.Directory)
                {
                    if (a.Mode != b.Mode || a.Uid != b.Uid || a.Gid != b.Gid)
                    {
                        yield return new SnapshotChange { Path = path, Kind = SnapshotChangeKind.Changed, Old = a, New = b };
                    }

                    await foreach (var change in CompareTreesAsync(snapshots, a.Subtree, b.Subtree, path, cancellationToken).ConfigureAwait(false))
                    {
                        await TreeRecursion.EnsureStackAsync().ConfigureAwait(false);
                        yield return change;
                        await TreeRecursion.EnsureStackAsync().ConfigureAwait(false);
                    }
                }
                else if (!SameContent(a, b) || a.Mode != b.Mode || a.Uid != b.Uid || a.Gid != b.Gid || a.MtimeNs != b.MtimeNs
                    || a.LinkTarget != b.LinkTarget || a.DeviceNumber != b.DeviceNumber)
                {
                    yield return new SnapshotChange { Path = path, Kind = SnapshotChangeKind.Changed, Old = a, New = b };
                }
            }
        }

        // The end of a level runs back up through every level above, as its changes do.
        await TreeRecursion.EnsureStackAsync().ConfigureAwait(false);
    }

    /// <summary>A node present on one side only, and everything below it.</summary>
    private static async IAsyncEnumerable<SnapshotChange> SideAsync(SnapshotStore snapshots, TreeNode node, string prefix, SnapshotChangeKind kind, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var path = SnapshotWalker.Join(prefix, node.Name);
        yield return kind == SnapshotChangeKind.Added ? new SnapshotChange { Path = path, Kind = kind, Old = null, New = node } : new SnapshotChange { Path = path, Kind = kind, Old = node, New = null };
        if (node.Type == NodeType.Directory && node.Subtree is { } subtree)
        {
            await foreach (var (childPath, child) in SnapshotWalker.WalkAsync(snapshots, subtree, path, cancellationToken).ConfigureAwait(false))
            {
                yield return kind == SnapshotChangeKind.Added ? new SnapshotChange { Path = childPath, Kind = kind, Old = null, New = child } : new SnapshotChange { Path = childPath, Kind = kind, Old = child, New = null };
            }
        }
    }

    private static List<TreeNode> Sorted(IReadOnlyList<TreeNode> nodes)
    {
        var list = nodes.ToList();
        list.Sort((x, y) => string.CompareOrdinal(x.Name, y.Name));
        return list;
    }
}
