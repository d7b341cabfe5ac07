using System.Text.Json;
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
/// are read back by header on open). Incremental: a snapshot whose host and paths an earlier copy holds starts from
/// that copy, as a backup starts from its parent, so a nightly copy reads from the source only what changed.
/// Verified: after each snapshot is written, every blob this copy stored is read back from the destination and
/// checked against its ID.
/// </remarks>
public sealed class RepositoryCopier
{
    /// <summary>The snapshot metadata key recording where a copy came from: "repository-id:snapshot-id".</summary>
    public const string OriginKey = "copied-from";

    /// <summary>
    /// The snapshot metadata key recording what a copy holds: "repository-id:tree-id:digest" of the source snapshot,
    /// the digest covering everything about it but its pinned flag. Pinning or unpinning gives a snapshot a new ID and
    /// changes nothing else, so a snapshot pinned after it was copied is recognised as copied already.
    /// </summary>
    public const string OriginContentKey = "copied-content";

    /// <summary>
    /// The snapshot metadata key of a copy's proof that its tree is the copy of its source's tree: a keyed hash, under
    /// the source's key, of both trees' IDs. The destination's trees are named by their content, so the proof binds
    /// the whole copy; a later copy trusts an earlier one as its starting point only with a valid proof, which someone
    /// who may write to the destination but holds no source key cannot make.
    /// </summary>
    private const string ProofKey = "copied-proof";

    private readonly BackupRepository _source;
    private readonly BackupRepository _destination;
    private readonly TimeProvider _time;

    /// <summary>
    /// Holds a shared lock on the source during the copy, so that no prune deletes what it reads. Turn it off only for
    /// a source that cannot be written, on read-only media, where no prune can run either (the index it was opened
    /// with is used as it is). The destination is always locked: the copy writes there.
    /// </summary>
    public bool LockSource { get; init; } = true;

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

    /// <summary>
    /// What <see cref="OriginContentKey"/> records for <paramref name="snapshot"/>: its tree, and a hash of everything
    /// else about it but the pinned flag (host, paths, tags, time, …), so that no other snapshot of the same data can
    /// pass for it.
    /// </summary>
    private string ContentOf(Snapshot snapshot) =>
        $"{_source.Config.Id}:{snapshot.Tree}:{BlobId.Sha256(JsonSerializer.SerializeToUtf8Bytes(snapshot with { Pinned = false }, SnapshotJson.Default.Snapshot))}";

    /// <summary>Copies <paramref name="snapshots"/> (every snapshot of the source when null), oldest first.</summary>
    /// <exception cref="RepositoryLockNotWritableException">The source's lock could not be written (read-only media): copy with <see cref="LockSource"/> false.</exception>
    public async Task<CopyResult> CopyAsync(IEnumerable<Snapshot>? snapshots = null, IProgress<Snapshot>? progress = null, CancellationToken cancellationToken = default)
    {
        var started = _time.GetTimestamp();
        var wanted = snapshots?.ToList() ?? await _source.Snapshots.ListAsync(null, cancellationToken).ToListAsync(cancellationToken).ConfigureAwait(false);
        var present = new HashSet<string>(StringComparer.Ordinal);
        var claimedOrigins = new Dictionary<string, List<Snapshot>>(StringComparer.Ordinal);
        var earlier = new List<EarlierCopy>();
        await foreach (var existing in _destination.Snapshots.ListAsync(static (_, _) => { }, cancellationToken).ConfigureAwait(false))
        {
            // A source snapshot's ID is its object's name, which anyone who can list the source's storage sees: an origin
            // only claims a copy, checked against the snapshot itself below. The content digest needs the snapshot's
            // plaintext, so only a holder of the source's key can write one.
            if (existing.Metadata.TryGetValue(OriginKey, out var origin))
            {
                (claimedOrigins.TryGetValue(origin, out var claims) ? claims : claimedOrigins[origin] = []).Add(existing);
            }

            if (existing.Metadata.TryGetValue(OriginContentKey, out var content))
            {
                present.Add(content);
            }

            if (EarlierCopyOf(existing) is { } earlierCopy)
            {
                earlier.Add(earlierCopy);
            }
        }

        var copied = new List<Snapshot>();
        var skipped = new List<Snapshot>();
        long blobsAdded = 0, bytesStored = 0;

        // Within this run, a subtree copied (and read back) once is not copied again for a later snapshot: the
        // snapshots of one source mostly share their directories.
        var copiedTrees = new Dictionary<BlobId, BlobId>();
        // Both indexes may predate a prune that ran before the locks were taken (see BackupService): the operations refresh them.
        await using var sourceOperation = LockSource ? await BeginSourceOperationAsync(cancellationToken).ConfigureAwait(false) : null;
        await using var destinationOperation = await _destination.BeginOperationAsync(LockKind.Shared, "copy (destination)", refreshIndex: true, _time, cancellationToken).ConfigureAwait(false);
        foreach (var snapshot in wanted.OrderBy(s => s.Time))
        {
            var origin = $"{_source.Config.Id}:{snapshot.Id}";
            var content = ContentOf(snapshot);
            if (present.Contains(content) || (claimedOrigins.TryGetValue(origin, out var claims) && claims.Any(c => IsCopyOf(c, snapshot))))
            {
                skipped.Add(snapshot);
                continue;
            }

            present.Add(content);

            await using var writer = destinationOperation.CreateWriter(cancellationToken: cancellationToken);

            // An earlier copy of the same host's same paths is where this one starts: what is unchanged since is
            // taken from it, not read from the source again (as a backup starts from its parent snapshot).
            var parent = earlier.Where(e => e.Matches(snapshot)).OrderBy(e => e.Time > snapshot.Time).ThenByDescending(e => e.Time).FirstOrDefault();

            // From a remote store the chunks are planned first and read per pack, not one request each: those of each
            // tree the copy will read, which is not one an earlier snapshot of this run copied, and once. With an
            // earlier copy to start from, only what changed is read, one chunk at a time.
            await using var batches = _source.Blobs.ReadsAreRemote && parent is null && !copiedTrees.ContainsKey(snapshot.Tree) ? new PackBatchReader(_source.Blobs) : null;
            var added = new List<BlobId>();
            var treesOfThisCopy = new Dictionary<BlobId, BlobId>();
            BlobId tree;
            try
            {
                Dictionary<BlobId, IReadOnlyList<TreeNode>> trees = [];
                if (batches is not null)
                {
                    var root = await _source.Snapshots.LoadTreeAsync(snapshot.Tree, cancellationToken).ConfigureAwait(false);
                    var planned = new HashSet<BlobId> { snapshot.Tree };
                    trees = await ContentPlanner.PlanAsync(_source.Blobs, batches, root.Nodes, [], skip: null, skipTree: t => copiedTrees.ContainsKey(t) || !planned.Add(t), cancellationToken).ConfigureAwait(false);
                    trees[snapshot.Tree] = root.Nodes;
                    batches.Start();
                }

                var walk = new CopyWalk(writer, batches, trees, copiedTrees, treesOfThisCopy, added, UploadedByAnInterruptedRun);
                tree = await CopyTreeAsync(snapshot.Tree, parent?.SourceTree, parent?.DestinationTree, walk, cancellationToken).ConfigureAwait(false);
            }
            catch (RepositoryCorruptException ex)
            {
                // Only the source is read here (the destination's trees are read where damage just means "copy it
                // again"): with two repositories in play, say which one is damaged and which snapshot stopped the copy.
                throw new RepositoryCorruptException($"Snapshot {snapshot.Id.ToShortString()} cannot be copied: the source, {_source.Location}, is damaged: {ex.Message}", ex)
                {
                    BlobId = ex.BlobId, ObjectKey = ex.ObjectKey, Remedy = ex.Remedy == RepositoryRemedy.None ? RepositoryRemedy.Check : ex.Remedy,
                };
            }
            await writer.CompleteAsync(cancellationToken).ConfigureAwait(false);
            await VerifyAddedAsync(snapshot, added, cancellationToken).ConfigureAwait(false);
            foreach (var (from, to) in treesOfThisCopy)
            {
                copiedTrees.TryAdd(from, to);
            }

            var metadata = new Dictionary<string, string>(snapshot.Metadata) { [OriginKey] = origin, [OriginContentKey] = content, [ProofKey] = ProofOf(snapshot.Tree, tree) };
            var saved = await _destination.Snapshots.SaveAsync(snapshot with { Tree = tree, Parent = null, Metadata = metadata }, writer, cancellationToken).ConfigureAwait(false);
            copied.Add(saved);
            earlier.Add(new EarlierCopy(saved.Hostname, saved.SourceKind, saved.Paths, saved.Time, snapshot.Tree, tree));
            blobsAdded += writer.BlobsAdded;
            bytesStored += writer.BytesStored;
            progress?.Report(saved);
        }

        return new CopyResult { Copied = copied, Skipped = skipped, BlobsAdded = blobsAdded, BytesStored = bytesStored, Duration = _time.GetElapsedTime(started) };
    }

    private async Task<RepositoryOperation> BeginSourceOperationAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _source.BeginOperationAsync(LockKind.Shared, "copy (source)", refreshIndex: true, _time, cancellationToken).ConfigureAwait(false);
        }
        // A refused write (read-only media, no permission, a full disk: the target's exception around the file
        // system's), not a storage that cannot be reached or trusted: said as check and restore say it, so the caller
        // learns that LockSource = false is the way. (Storage's exception types are below this layer's reach.)
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException { InnerException: IOException or UnauthorizedAccessException })
        {
            throw new RepositoryLockNotWritableException(
                $"A copy holds a shared lock on its source so that no prune deletes what it reads, and the lock could not be written to {_source.Location} ({ex.Message}). " +
                "For a source that cannot be written (read-only media), copy without it (RepositoryCopier.LockSource = false).", _source.Location, ex);
        }
    }

    /// <summary>
    /// Copies a tree and what it references, re-encoded and re-keyed for the destination; records what this writer
    /// queued (the rest the destination held already) and every tree it copied. With the same directory of an earlier
    /// copy (<paramref name="earlierSource"/> in the source, <paramref name="earlierCopy"/> its copy), an unchanged
    /// subtree is that copy's, and an unchanged file that copy's chunks, without reading the source.
    /// </summary>
    private async Task<BlobId> CopyTreeAsync(BlobId sourceTree, BlobId? earlierSource, BlobId? earlierCopy, CopyWalk walk, CancellationToken cancellationToken)
    {
        if (walk.CopiedNow.TryGetValue(sourceTree, out var done))
        {
            return done;
        }

        if (walk.CopiedBefore.TryGetValue(sourceTree, out done))
        {
            // Stored by an earlier writer of this run: named, so that a lapsed lock's check covers its pack.
            walk.Writer.NoteReused([done]);
            return done;
        }

        // Whole, only while no pack of the destination is missing: else each file is looked at (one in a lost pack
        // is read from the source again), as a backup does.
        if (earlierSource == sourceTree && earlierCopy is { } unchanged && _destination.Blobs.MissingPacks.Count == 0 && _destination.Blobs.TryGetStored(unchanged, out _))
        {
            walk.Writer.NoteReused([unchanged]);
            walk.CopiedNow[sourceTree] = unchanged;
            return unchanged;
        }

        await TreeRecursion.EnsureStackAsync().ConfigureAwait(false);
        var treeNodes = walk.Trees.Remove(sourceTree, out var planned) ? planned : (await _source.Snapshots.LoadTreeAsync(sourceTree, cancellationToken).ConfigureAwait(false)).Nodes;
        var before = earlierSource is { } es && earlierCopy is { } ec ? await PairAsync(es, ec, cancellationToken).ConfigureAwait(false) : null;
        var nodes = new List<TreeNode>(treeNodes.Count);
        using var buffer = new PooledBufferWriter(4096, _source.Blobs.BufferPool);
        foreach (var node in treeNodes)
        {
            var copy = node;
            // A name the earlier copy lacks (a directory or file new since) has no earlier pair: null, not an empty
            // tuple, whose null members would be dereferenced below.
            (TreeNode Source, TreeNode Copy)? previous = before is not null && before.TryGetValue(node.Name, out var pair) ? pair : null;
            if (node.Subtree is { } subtree)
            {
                copy = copy with { Subtree = await CopyTreeAsync(subtree, previous?.Source.Subtree, previous?.Copy.Subtree, walk, cancellationToken).ConfigureAwait(false) };
                await TreeRecursion.EnsureStackAsync().ConfigureAwait(false);
            }

            if (node.Content is { Count: > 0 } content)
            {
                if (previous is { Source.Content: { } sourceChunks, Copy.Content: { } copiedChunks } && copiedChunks.Count == sourceChunks.Count
                    && content.SequenceEqual(sourceChunks) && copiedChunks.All(id => _destination.Blobs.TryGetStored(id, out _)))
                {
                    walk.Writer.NoteReused(copiedChunks);
                    copy = copy with { Content = copiedChunks };
                }
                else
                {
                    var ids = new List<BlobId>(content.Count);
                    foreach (var id in content)
                    {
                        if (walk.Batches is null || !await walk.Batches.TryReadAsync(id, buffer, cancellationToken).ConfigureAwait(false))
                        {
                            await _source.Blobs.ReadBlobAsync(id, buffer, cancellationToken).ConfigureAwait(false);
                        }

                        ids.Add(await walk.AddAsync(buffer.WrittenMemory, BlobType.Data, cancellationToken).ConfigureAwait(false));
                    }

                    copy = copy with { Content = ids };
                }
            }

            nodes.Add(copy);
        }

        var copied = await walk.AddAsync(TreeCodec.Serialize(new Tree(nodes)), BlobType.Tree, cancellationToken).ConfigureAwait(false);
        walk.CopiedNow[sourceTree] = copied;
        return copied;
    }

    /// <summary>
    /// The entries of a source directory with their copies, by name; null when the two trees do not pair up entry by
    /// entry (a copy keeps its source's entries in order) or cannot be read: the copy then reads the source.
    /// </summary>
    private async Task<Dictionary<string, (TreeNode Source, TreeNode Copy)>?> PairAsync(BlobId sourceTree, BlobId copyTree, CancellationToken cancellationToken)
    {
        try
        {
            var source = (await _source.Snapshots.LoadTreeAsync(sourceTree, cancellationToken).ConfigureAwait(false)).Nodes;
            var copy = (await _destination.Snapshots.LoadTreeAsync(copyTree, cancellationToken).ConfigureAwait(false)).Nodes;
            if (source.Count != copy.Count)
            {
                return null;
            }

            var pairs = new Dictionary<string, (TreeNode, TreeNode)>(source.Count, StringComparer.Ordinal);
            for (var i = 0; i < source.Count; i++)
            {
                if (source[i].Name != copy[i].Name || source[i].Type != copy[i].Type || !pairs.TryAdd(source[i].Name, (source[i], copy[i])))
                {
                    return null;
                }
            }

            return pairs;
        }
        catch (Exception ex) when (ex is RepositoryCorruptException or IOException)
        {
            return null;
        }
    }

    /// <summary>
    /// Whether <paramref name="copy"/>, whose origin names <paramref name="snapshot"/>, holds what a copy of it keeps:
    /// its time to the tick, host, kind and paths, which only a reader of the source's snapshot knows. Copies written
    /// before <see cref="OriginContentKey"/> existed have only their origin, so it cannot simply be ignored.
    /// </summary>
    private static bool IsCopyOf(Snapshot copy, Snapshot snapshot) =>
        copy.Time == snapshot.Time && copy.Time.Offset == snapshot.Time.Offset && copy.Hostname == snapshot.Hostname && copy.SourceKind == snapshot.SourceKind
        && copy.Paths.SequenceEqual(snapshot.Paths, StringComparer.Ordinal);

    /// <summary>The proof (<see cref="ProofKey"/>) that <paramref name="copyTree"/> is this destination's copy of <paramref name="sourceTree"/>.</summary>
    private string ProofOf(BlobId sourceTree, BlobId copyTree) =>
        _source.Blobs.ComputeId(System.Text.Encoding.UTF8.GetBytes($"backup copy proof\n{_destination.Config.Id}\n{sourceTree}\n{copyTree}")).ToString();

    /// <summary>An earlier copy of this source found in the destination, when its proof holds and its source tree is still stored.</summary>
    private EarlierCopy? EarlierCopyOf(Snapshot copy)
    {
        if (!copy.Metadata.TryGetValue(OriginContentKey, out var content) || !copy.Metadata.TryGetValue(ProofKey, out var proof)
            || !content.StartsWith(_source.Config.Id + ":", StringComparison.Ordinal))
        {
            return null;
        }

        var parts = content[(_source.Config.Id.Length + 1)..].Split(':');
        return parts.Length == 2 && BlobId.TryParse(parts[0], out var sourceTree) && proof == ProofOf(sourceTree, copy.Tree) && _source.Blobs.TryGetStored(sourceTree, out _)
            ? new EarlierCopy(copy.Hostname, copy.SourceKind, copy.Paths, copy.Time, sourceTree, copy.Tree)
            : null;
    }

    /// <summary>A copy a later one may start from: what it is a copy of (host, kind, paths, time) and the two trees.</summary>
    private sealed record EarlierCopy(string Hostname, string SourceKind, IReadOnlyList<string> Paths, DateTimeOffset Time, BlobId SourceTree, BlobId DestinationTree)
    {
        public bool Matches(Snapshot snapshot) =>
            Hostname == snapshot.Hostname && SourceKind == snapshot.SourceKind && Paths.Order(StringComparer.Ordinal).SequenceEqual(snapshot.Paths.Order(StringComparer.Ordinal), StringComparer.Ordinal);
    }

    /// <summary>The state of copying one snapshot: the writer, the planned reads, and what was copied and stored.</summary>
    /// <summary>
    /// Whether <paramref name="id"/> lies in a pack no index lists (found by its header when the destination opened):
    /// uploaded by a run that was stopped before it read anything back, so it is read back now.
    /// </summary>
    private bool UploadedByAnInterruptedRun(BlobId id) =>
        !_destination.Blobs.UnindexedPacks.IsEmpty && _destination.Blobs.TryGetStored(id, out var location) && _destination.Blobs.UnindexedPacks.ContainsKey(location.Pack);

    private sealed class CopyWalk(RepositoryWriter writer, PackBatchReader? batches, Dictionary<BlobId, IReadOnlyList<TreeNode>> trees, Dictionary<BlobId, BlobId> copiedBefore, Dictionary<BlobId, BlobId> copiedNow, List<BlobId> added, Func<BlobId, bool> unverified)
    {
        public RepositoryWriter Writer { get; } = writer;

        public PackBatchReader? Batches { get; } = batches;

        public Dictionary<BlobId, IReadOnlyList<TreeNode>> Trees { get; } = trees;

        /// <summary>Trees earlier snapshots of this run copied (read back already).</summary>
        public Dictionary<BlobId, BlobId> CopiedBefore { get; } = copiedBefore;

        /// <summary>Trees this snapshot's copy copied so far.</summary>
        public Dictionary<BlobId, BlobId> CopiedNow { get; } = copiedNow;

        /// <summary>What this writer queued: the blobs to read back.</summary>
        public List<BlobId> Added { get; } = added;

        public async ValueTask<BlobId> AddAsync(ReadOnlyMemory<byte> blob, BlobType type, CancellationToken cancellationToken)
        {
            var (id, queued) = await Writer.AddBlobIfNewAsync(blob, type, cancellationToken).ConfigureAwait(false);
            if (queued || unverified(id))
            {
                Added.Add(id);
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
