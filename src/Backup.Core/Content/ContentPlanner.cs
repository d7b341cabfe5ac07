using Backup.Core.Buffers;
using Backup.Core.Repository;
using Backup.Core.Repository.Blobs;
using Backup.Core.Snapshots;

namespace Backup.Core.Content;

/// <summary>
/// Walks a snapshot's tree before an operation reads its contents (a restore, a dump, a copy) and tells a
/// <see cref="PackBatchReader"/> every chunk it will read, in the order it will read them, so that the packs are
/// fetched whole (or in a few ranges) instead of one request per file. The trees it loads on the way are kept (up to a
/// bound) for the operation's own walk.
/// </summary>
/// <remarks>
/// The walk is the operations' own: depth first, entries in order, included subtrees only (all when none are named),
/// unsafe names skipped. A file the operation will not read (<c>skip</c>: a restore copies hard links and identical
/// content from the first one) is not counted, so no fetched range waits for a read that never comes; a miscount costs
/// only memory held longer or a blob read alone, never a wrong byte.
/// </remarks>
internal static class ContentPlanner
{
    /// <summary>Tree entries kept for the walk; beyond them the walk loads its trees again (one read each).</summary>
    private const int MaxKeptTreeNodes = 100_000;

    /// <summary>Walks the selection below <paramref name="root"/> and plans its chunks but those of files <paramref name="skip"/> names; returns the trees kept, by ID.</summary>
    public static Task<Dictionary<BlobId, IReadOnlyList<TreeNode>>> PlanAsync(BlobStore blobs, PackBatchReader batches, IReadOnlyList<TreeNode> root, IReadOnlyList<string[]> includes, Func<TreeNode, bool>? skip, CancellationToken cancellationToken) =>
        PlanAsync(blobs, batches, root, includes, skip, skipTree: null, cancellationToken);

    /// <summary>
    /// Walks the selection below <paramref name="root"/> and plans its chunks but those of files <paramref name="skip"/>
    /// names and of subtrees <paramref name="skipTree"/> names; returns the trees kept, by ID.
    /// </summary>
    public static async Task<Dictionary<BlobId, IReadOnlyList<TreeNode>>> PlanAsync(BlobStore blobs, PackBatchReader batches, IReadOnlyList<TreeNode> root, IReadOnlyList<string[]> includes, Func<TreeNode, bool>? skip, Func<BlobId, bool>? skipTree, CancellationToken cancellationToken)
    {
        var trees = new Dictionary<BlobId, IReadOnlyList<TreeNode>>();
        var kept = 0;
        var frames = new Stack<(IEnumerator<TreeNode> Children, string[] Segments, bool Full)>();
        frames.Push((root.GetEnumerator(), [], includes.Count == 0 || includes.Any(i => i.Length == 0)));
        while (frames.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (children, parentSegments, parentFull) = frames.Peek();
            if (!children.MoveNext())
            {
                frames.Pop();
                continue;
            }

            var node = children.Current;
            if (!NodeNames.IsSafe(node.Name))
            {
                continue;
            }

            var full = parentFull;
            string[] segments = [];
            if (!full)
            {
                segments = [.. parentSegments, node.Name];
                full = includes.Any(i => i.Length <= segments.Length && i.AsSpan().SequenceEqual(segments.AsSpan(0, i.Length)));
                var leading = !full && node.Type == NodeType.Directory
                    && includes.Any(i => i.Length > segments.Length && segments.AsSpan().SequenceEqual(i.AsSpan(0, segments.Length)));
                if (!full && !leading)
                {
                    continue;
                }
            }

            switch (node.Type)
            {
                case NodeType.Directory when node.Subtree is { } subtree:
                    if (skipTree?.Invoke(subtree) == true)
                    {
                        continue;
                    }

                    if (await LoadTreeAsync(blobs, batches, subtree, wholePacks: includes.Count == 0, cancellationToken).ConfigureAwait(false) is { } nodes)
                    {
                        if (kept + nodes.Count <= MaxKeptTreeNodes && trees.TryAdd(subtree, nodes))
                        {
                            kept += nodes.Count;
                        }

                        frames.Push((nodes.GetEnumerator(), segments, full));
                    }

                    break;
                case NodeType.File when node.Content is { Count: > 0 } content:
                    if (skip?.Invoke(node) == true)
                    {
                        continue;
                    }

                    foreach (var id in content)
                    {
                        batches.Need(id);
                    }

                    break;
            }
        }

        return trees;
    }

    /// <summary>Loads a tree through the pack reader; null when it cannot be read (the walk reports it when it tries).</summary>
    private static async Task<IReadOnlyList<TreeNode>?> LoadTreeAsync(BlobStore blobs, PackBatchReader batches, BlobId id, bool wholePacks, CancellationToken cancellationToken)
    {
        using var buffer = new PooledBufferWriter(4096, blobs.BufferPool);
        try
        {
            if (!await batches.ReadTreeAsync(id, buffer, wholePacks, cancellationToken).ConfigureAwait(false))
            {
                buffer.Reset();
                await blobs.ReadBlobAsync(id, buffer, cancellationToken).ConfigureAwait(false);
            }

            return TreeCodec.Decode(buffer.WrittenSpan, id).Nodes;
        }
        catch (RepositoryCorruptException)
        {
            return null;
        }
    }
}
