using Backup.Core.Buffers;
using Backup.Core.Pipeline;
using Backup.Core.Repository;
using Backup.Core.Snapshots;
using Backup.Core.Repository.Blobs;
using Backup.Core.Repository.Locks;
using Backup.Core.Content;

namespace Backup.Core.Replication;

/// <summary>
/// Copies snapshots from one repository to another (the "2" and the off-site "1" of 3-2-1), storing in the
/// destination exactly the data it lacks. Repositories have their own keys, so every blob is decrypted with the
/// source's key and, when new to the destination, re-encrypted with the destination's; blob IDs are keyed per
/// repository, so trees are rewritten with the destination's IDs.
/// </summary>
/// <remarks>
/// Resumable: a copied snapshot records its origin (<see cref="OriginKey"/>), so running the copy again skips it,
/// and blobs an interrupted run already uploaded are found by the destination's index (packs without an index
/// are read back by header on open). Verified: after each snapshot is written, every blob it references is read
/// back from the destination and checked against its ID.
/// </remarks>
public sealed class RepositoryCopier
{
    /// <summary>The snapshot metadata key recording where a copy came from: "repository-id:snapshot-id".</summary>
    public const string OriginKey = "copied-from";

    /// <summary>
    /// The snapshot metadata key recording what a copy holds: "repository-id:tree-id:time" of the source snapshot.
    /// Pinning or unpinning gives a snapshot a new ID but keeps its tree and time, so a snapshot pinned after it was
    /// copied is recognised as copied already.
    /// </summary>
    public const string OriginContentKey = "copied-content";

    private readonly BackupRepository _source;
    private readonly BackupRepository _destination;
    private readonly TimeProvider _time;

    /// <summary>Copies from <paramref name="source"/> to <paramref name="destination"/>.</summary>
    public RepositoryCopier(BackupRepository source, BackupRepository destination, TimeProvider? timeProvider = null)
    {
        _source = source ?? throw new ArgumentNullException(nameof(source));
        _destination = destination ?? throw new ArgumentNullException(nameof(destination));
        if (source.Config.Id == destination.Config.Id)
        {
            throw new ArgumentException("The source and destination are the same repository.", nameof(destination));
        }

        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>What <see cref="OriginContentKey"/> records for <paramref name="snapshot"/>.</summary>
    private string ContentOf(Snapshot snapshot) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{_source.Config.Id}:{snapshot.Tree}:{snapshot.Time.UtcTicks}");

    /// <summary>Copies <paramref name="snapshots"/> (every snapshot of the source when null), oldest first.</summary>
    public async Task<CopyResult> CopyAsync(IEnumerable<Snapshot>? snapshots = null, IProgress<Snapshot>? progress = null, CancellationToken cancellationToken = default)
    {
        var started = _time.GetTimestamp();
        var wanted = snapshots?.ToList() ?? await _source.Snapshots.ListAsync(null, cancellationToken).ToListAsync(cancellationToken).ConfigureAwait(false);
        var present = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var existing in _destination.Snapshots.ListAsync(static (_, _) => { }, cancellationToken).ConfigureAwait(false))
        {
            if (existing.Metadata.TryGetValue(OriginKey, out var origin))
            {
                present.Add(origin);
            }

            if (existing.Metadata.TryGetValue(OriginContentKey, out var content))
            {
                present.Add(content);
            }
        }

        var copied = new List<Snapshot>();
        var skipped = new List<Snapshot>();
        long blobsAdded = 0, bytesStored = 0;

        // Within this run, a subtree copied (and read back) once is not copied again for a later snapshot: the
        // snapshots of one source mostly share their directories.
        var copiedTrees = new Dictionary<BlobId, BlobId>();
        // Both indexes may predate a prune that ran before the locks were taken (see BackupService): the operations refresh them.
        await using var sourceOperation = await _source.BeginOperationAsync(LockKind.Shared, "copy (source)", refreshIndex: true, _time, cancellationToken).ConfigureAwait(false);
        await using var destinationOperation = await _destination.BeginOperationAsync(LockKind.Shared, "copy (destination)", refreshIndex: true, _time, cancellationToken).ConfigureAwait(false);
        foreach (var snapshot in wanted.OrderBy(s => s.Time))
        {
            var origin = $"{_source.Config.Id}:{snapshot.Id}";
            var content = ContentOf(snapshot);
            if (present.Contains(origin) || present.Contains(content))
            {
                skipped.Add(snapshot);
                continue;
            }

            present.Add(origin);
            present.Add(content);

            await using var writer = destinationOperation.CreateWriter();

            // From a remote store the chunks are planned first and read per pack, not one request each: those of each
            // tree the copy will read, which is not one an earlier snapshot of this run copied, and once.
            await using var batches = _source.Blobs.ReadsAreRemote && !copiedTrees.ContainsKey(snapshot.Tree) ? new PackBatchReader(_source.Blobs) : null;
            Dictionary<BlobId, IReadOnlyList<TreeNode>> trees = [];
            if (batches is not null)
            {
                var root = await _source.Snapshots.LoadTreeAsync(snapshot.Tree, cancellationToken).ConfigureAwait(false);
                var planned = new HashSet<BlobId> { snapshot.Tree };
                trees = await ContentPlanner.PlanAsync(_source.Blobs, batches, root.Nodes, [], skip: null, skipTree: t => copiedTrees.ContainsKey(t) || !planned.Add(t), cancellationToken).ConfigureAwait(false);
                trees[snapshot.Tree] = root.Nodes;
                batches.Start();
            }

            var added = new List<BlobId>();
            var treesOfThisCopy = new Dictionary<BlobId, BlobId>();
            var tree = await CopyTreeAsync(snapshot.Tree, writer, batches, trees, copiedTrees, treesOfThisCopy, added, cancellationToken).ConfigureAwait(false);
            await writer.CompleteAsync(cancellationToken).ConfigureAwait(false);
            await VerifyAddedAsync(snapshot, added, cancellationToken).ConfigureAwait(false);
            foreach (var (from, to) in treesOfThisCopy)
            {
                copiedTrees.TryAdd(from, to);
            }

            var metadata = new Dictionary<string, string>(snapshot.Metadata) { [OriginKey] = origin, [OriginContentKey] = content };
            var saved = await _destination.Snapshots.SaveAsync(snapshot with { Tree = tree, Parent = null, Metadata = metadata }, writer, cancellationToken).ConfigureAwait(false);
            copied.Add(saved);
            blobsAdded += writer.BlobsAdded;
            bytesStored += writer.BytesStored;
            progress?.Report(saved);
        }

        return new CopyResult { Copied = copied, Skipped = skipped, BlobsAdded = blobsAdded, BytesStored = bytesStored, Duration = _time.GetElapsedTime(started) };
    }

    /// <summary>
    /// Copies a tree and what it references, re-encoded and re-keyed for the destination; records what this writer
    /// queued in <paramref name="added"/> (the rest the destination held already) and every tree it copied.
    /// </summary>
    private async Task<BlobId> CopyTreeAsync(BlobId sourceTree, RepositoryWriter writer, PackBatchReader? batches, Dictionary<BlobId, IReadOnlyList<TreeNode>> trees, Dictionary<BlobId, BlobId> copiedBefore, Dictionary<BlobId, BlobId> copiedNow, List<BlobId> added, CancellationToken cancellationToken)
    {
        if (copiedBefore.TryGetValue(sourceTree, out var done) || copiedNow.TryGetValue(sourceTree, out done))
        {
            return done;
        }

        var treeNodes = trees.Remove(sourceTree, out var planned) ? planned : (await _source.Snapshots.LoadTreeAsync(sourceTree, cancellationToken).ConfigureAwait(false)).Nodes;
        var nodes = new List<TreeNode>(treeNodes.Count);
        using var buffer = new PooledBufferWriter(4096, _source.Blobs.BufferPool);
        foreach (var node in treeNodes)
        {
            var copy = node;
            if (node.Subtree is { } subtree)
            {
                copy = copy with { Subtree = await CopyTreeAsync(subtree, writer, batches, trees, copiedBefore, copiedNow, added, cancellationToken).ConfigureAwait(false) };
            }

            if (node.Content is { Count: > 0 } content)
            {
                var ids = new List<BlobId>(content.Count);
                foreach (var id in content)
                {
                    buffer.Reset();
                    if (batches is null || !await batches.TryReadAsync(id, buffer, cancellationToken).ConfigureAwait(false))
                    {
                        await _source.Blobs.ReadBlobAsync(id, buffer, cancellationToken).ConfigureAwait(false);
                    }

                    ids.Add(await AddAsync(buffer.WrittenMemory, BlobType.Data).ConfigureAwait(false));
                }

                copy = copy with { Content = ids };
            }

            nodes.Add(copy);
        }

        var copied = await AddAsync(TreeCodec.Serialize(new Tree(nodes)), BlobType.Tree).ConfigureAwait(false);
        copiedNow[sourceTree] = copied;
        return copied;

        async ValueTask<BlobId> AddAsync(ReadOnlyMemory<byte> blob, BlobType type)
        {
            var (id, queued) = await writer.AddBlobIfNewAsync(blob, type, cancellationToken).ConfigureAwait(false);
            if (queued)
            {
                added.Add(id);
            }

            return id;
        }
    }

    /// <summary>
    /// Reads back from the destination every blob this copy stored, each checked against its ID, so a copy that does
    /// not read back is never recorded. What the destination held already was checked when it was stored; reading
    /// it all again would make every nightly copy download the whole snapshot from the destination.
    /// </summary>
    private async Task VerifyAddedAsync(Snapshot snapshot, List<BlobId> added, CancellationToken cancellationToken)
    {
        try
        {
            await _destination.Content.CopyToAsync(added, static (_, _) => ValueTask.CompletedTask, cancellationToken).ConfigureAwait(false);
        }
        catch (RepositoryCorruptException ex)
        {
            throw new RepositoryCorruptException($"The copy of snapshot {snapshot.Id.ToShortString()} does not read back from {_destination.Location}: {ex.Message}", ex);
        }
    }
}
