using Backup.Core.Repository;
using Backup.Core.Snapshots;
using Backup.Core.Repository.Blobs;

namespace Backup.Core.Maintenance;

/// <summary>
/// Rewrites trees without what cannot be restored: files missing any chunk are dropped, directories whose tree is
/// missing or damaged become empty. Results are cached per tree, so subtrees shared by many snapshots are
/// rewritten once.
/// </summary>
internal sealed class TreeRepairer(RepositoryScan scan)
{
    private readonly Dictionary<BlobId, (BlobId Id, bool Missing, List<string> Lost)> _done = [];
    private BlobId? _emptyTree;

    /// <summary>The repaired tree's ID (the same ID when nothing was lost); what was lost is added to <paramref name="lost"/> under <paramref name="path"/>.</summary>
    /// <param name="treeId">The tree to repair.</param>
    /// <param name="path">Its path, ending in '/'.</param>
    /// <param name="lost">Receives what was dropped.</param>
    /// <param name="writer">Stores new trees; null for a dry run (IDs are computed only).</param>
    /// <param name="cancellationToken">Stops the repair.</param>
    public async Task<BlobId> RepairAsync(BlobId treeId, string path, List<string> lost, RepositoryWriter? writer, CancellationToken cancellationToken)
    {
        var (id, missing, below) = await RepairTreeAsync(treeId, writer, cancellationToken).ConfigureAwait(false);
        if (missing)
        {
            lost.Add($"{path}: directory listing missing or damaged, restored empty");
            return await EmptyTreeAsync(writer, cancellationToken).ConfigureAwait(false);
        }

        lost.AddRange(below.Select(l => path + l));
        return id;
    }

    private async Task<(BlobId Id, bool Missing, List<string> Lost)> RepairTreeAsync(BlobId treeId, RepositoryWriter? writer, CancellationToken cancellationToken)
    {
        if (_done.TryGetValue(treeId, out var cached))
        {
            return cached;
        }

        await TreeRecursion.EnsureStackAsync().ConfigureAwait(false);
        Tree tree;
        try
        {
            tree = await scan.LoadTreeAsync(treeId, cancellationToken).ConfigureAwait(false);
        }
        catch (RepositoryCorruptException)
        {
            return _done[treeId] = (treeId, true, []);
        }

        var lost = new List<string>();
        var nodes = new List<TreeNode>(tree.Nodes.Count);
        foreach (var node in tree.Nodes)
        {
            if (node.Content is { Count: > 0 } content)
            {
                var missing = content.Count(c => !scan.Index.Contains(c));
                if (missing > 0)
                {
                    lost.Add($"{node.Name}: {missing} of {content.Count} chunks missing, file dropped");
                    continue;
                }
            }

            if (node.Subtree is { } subtree)
            {
                var (id, subtreeMissing, below) = await RepairTreeAsync(subtree, writer, cancellationToken).ConfigureAwait(false);
                await TreeRecursion.EnsureStackAsync().ConfigureAwait(false);
                if (subtreeMissing)
                {
                    lost.Add($"{node.Name}/: directory listing missing or damaged, restored empty");
                    nodes.Add(node with { Subtree = await EmptyTreeAsync(writer, cancellationToken).ConfigureAwait(false) });
                    continue;
                }

                lost.AddRange(below.Select(l => node.Name + "/" + l));
                nodes.Add(id == subtree ? node : node with { Subtree = id });
                continue;
            }

            nodes.Add(node);
        }

        var newId = lost.Count == 0 ? treeId : await StoreAsync(new Tree(nodes), writer, cancellationToken).ConfigureAwait(false);
        return _done[treeId] = (newId, false, lost);
    }

    private async Task<BlobId> EmptyTreeAsync(RepositoryWriter? writer, CancellationToken cancellationToken) =>
        _emptyTree ??= await StoreAsync(new Tree([]), writer, cancellationToken).ConfigureAwait(false);

    private async Task<BlobId> StoreAsync(Tree tree, RepositoryWriter? writer, CancellationToken cancellationToken)
    {
        var bytes = TreeCodec.Serialize(tree);
        return writer is null ? scan.Repository.Blobs.ComputeId(bytes) : await writer.AddBlobAsync(bytes, BlobType.Tree, cancellationToken).ConfigureAwait(false);
    }
}
