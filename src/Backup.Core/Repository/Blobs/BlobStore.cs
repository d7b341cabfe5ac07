using System.Buffers;
using System.Collections.Concurrent;
using Backup.Core.Buffers;
using Backup.Core.Crypto;
using Backup.Core.Storage;
using Backup.Core.Transforms;

namespace Backup.Core.Repository.Blobs;

/// <summary>
/// The blob layer of a repository: the target, the transforms every stored object goes through, the packs and the
/// index of which blob lies where. It reads and decodes blobs and pack headers, loads and refreshes the index, and
/// writes index objects (the one place that does). Everything above it (snapshots, content, the services) stores
/// and reads blobs through it and never touches the target's packs or index objects directly.
/// </summary>
internal sealed class BlobStore : IDisposable
{
    /// <summary>How many blobs one index object lists at most, so no index object comes near its size limit.</summary>
    internal const int MaxBlobsPerIndexObject = 250_000;
    private readonly MasterKey _key;
    private readonly IStreamTransform[] _userTransforms;
    private readonly ConcurrentDictionary<BlobId, IReadOnlyList<PackHeaderEntry>> _unindexedPacks = new();
    private readonly ConcurrentDictionary<string, byte> _knownIndexKeys = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _refreshGate = new(1, 1);
    private volatile IReadOnlySet<BlobId> _missingPacks = new HashSet<BlobId>();

    /// <summary>Stores blobs of the repository configured by <paramref name="config"/> in <paramref name="target"/>, under <paramref name="key"/> (which the caller owns).</summary>
    public BlobStore(IBackupTarget target, RepositoryConfig config, MasterKey key, IStreamTransform[] userTransforms)
    {
        Target = target;
        Config = config;
        _key = key;
        _userTransforms = userTransforms;
        (Compression, Encryption, Chain) = CreateTransformChain(config, key, userTransforms, BufferPool);
    }

    /// <summary>Where the repository's objects live.</summary>
    public IBackupTarget Target { get; }

    /// <summary>The repository's configuration.</summary>
    public RepositoryConfig Config { get; }

    /// <summary>
    /// Whether every read is a round trip to a remote store, so operations that read many small blobs should read per
    /// pack (the content layer's PackBatchReader): true for every target but a local disk (one that stages objects in
    /// files), where reading per file is as fast and holds less memory.
    /// </summary>
    public bool ReadsAreRemote => Target.GetCapability<IStagingTarget>() is null;

    /// <summary>What the target is, for messages.</summary>
    public string Description => Target.Description;

    /// <summary>
    /// Where the hot path's chunk-sized buffers come from. One pool per repository, without thread-local slots:
    /// the shared pool parks a large array in every thread that returns one, so memory grew with thread count.
    /// </summary>
    public ArrayPool<byte> BufferPool { get; } = new BufferPool(maxArrayLength: 512 * 1024 * 1024, maxArraysPerSize: Environment.ProcessorCount * 4 + 8);

    /// <summary>Which blobs are stored where.</summary>
    public ChunkIndex Index { get; } = new();

    /// <summary>The transforms every stored object goes through: compression, then AES-256-GCM.</summary>
    public TransformChain Chain { get; }

    /// <summary>The compression new objects are stored with.</summary>
    public IStreamTransform Compression { get; }

    private AesGcmTransform Encryption { get; }

    /// <summary>Packs found without an index entry (left by a writer that stopped early); the next writer indexes them.</summary>
    public ConcurrentDictionary<BlobId, IReadOnlyList<PackHeaderEntry>> UnindexedPacks => _unindexedPacks;

    /// <summary>
    /// Packs the index names that storage did not hold when the index was last loaded: deleted or lost by something
    /// other than prune (which replaces the index first). Their blobs are not stored as far as a writer is concerned
    /// (<see cref="TryGetStored"/>), so a backup stores them again instead of referencing data that is gone.
    /// </summary>
    public IReadOnlySet<BlobId> MissingPacks => _missingPacks;

    /// <summary>
    /// Index objects another one supersedes, as found when the index was last loaded: prune writes its new index before
    /// it deletes the old ones, and an old one it could not delete (retention-locked) stays behind, no longer needed.
    /// </summary>
    public IReadOnlySet<string> SupersededIndexKeys => _supersededIndexKeys;

    private volatile HashSet<string> _supersededIndexKeys = new(StringComparer.Ordinal);

    /// <summary>
    /// Finds a blob a writer may reference instead of storing it: one the index knows in a pack that storage holds.
    /// </summary>
    public bool TryGetStored(BlobId id, out BlobLocation location)
    {
        var missing = _missingPacks;
        return Index.TryGet(id, out location) && (missing.Count == 0 || !missing.Contains(location.Pack));
    }

    /// <summary>
    /// The transforms of a repository: its configured compression, then AES-256-GCM under its master key; every
    /// compression this version knows is accepted when decoding. The one place the chain is put together.
    /// </summary>
    private static (IStreamTransform Compression, AesGcmTransform Encryption, TransformChain Chain) CreateTransformChain(RepositoryConfig config, MasterKey key, IStreamTransform[] userTransforms, ArrayPool<byte> bufferPool)
    {
        var compression = CompressionSetting.Parse(config.Compression);
        var encryption = new AesGcmTransform(key.EncryptionKey);
        var chain = UserTransforms.BuildChain(compression, userTransforms, encryption, bufferPool);
        return (compression, encryption, chain);
    }

    /// <summary>The keyed ID of <paramref name="content"/> in this repository.</summary>
    public BlobId ComputeId(ReadOnlySpan<byte> content) => BlobId.Compute(_key.IdKey, content);

    /// <summary>Reads a blob, decrypts, decompresses and checks it against its ID.</summary>
    /// <exception cref="RepositoryCorruptException">The blob is missing, altered or damaged.</exception>
    public async Task<byte[]> ReadBlobAsync(BlobId id, CancellationToken cancellationToken = default)
    {
        using var buffer = new PooledBufferWriter(4096, BufferPool);
        await ReadBlobAsync(id, buffer, cancellationToken).ConfigureAwait(false);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads a blob into <paramref name="destination"/>, checked against its ID.</summary>
    /// <exception cref="RepositoryCorruptException">The blob is missing, altered or damaged.</exception>
    public async Task ReadBlobAsync(BlobId id, PooledBufferWriter destination, CancellationToken cancellationToken = default)
    {
        if (!Index.TryGet(id, out var location))
        {
            throw new RepositoryCorruptException($"Blob {id.ToShortString()} is not in the index: the data it belongs to is missing.") { BlobId = id, Remedy = RepositoryRemedy.Check };
        }

        using var stored = await ReadStoredAsync(id, location, (int)location.Length, cancellationToken).ConfigureAwait(false);
        DecodeBlob(id, stored.Span, location.RawLength, destination);
    }

    /// <summary>Reads <paramref name="length"/> stored bytes of a pack from where the blob <paramref name="id"/> starts, into a buffer from <see cref="BufferPool"/>.</summary>
    /// <exception cref="RepositoryCorruptException">The pack is missing.</exception>
    public async Task<PooledBuffer> ReadStoredAsync(BlobId id, BlobLocation location, int length, CancellationToken cancellationToken)
    {
        if (length < 0 || length > ObjectSizeLimits.Pack)
        {
            throw new RepositoryCorruptException($"The index places {(uint)length:N0} bytes of blob {id.ToShortString()} in pack {location.Pack.ToShortString()}, more than a pack holds: the index is damaged.") { BlobId = id, Remedy = RepositoryRemedy.RepairIndex };
        }

        var buffer = new PooledBuffer(length, BufferPool, willFill: true);
        try
        {
            await Target.ReadExactlyAsync(RepositoryLayout.PackKey(location.Pack), location.Offset, buffer.Memory, cancellationToken).ConfigureAwait(false);
            return buffer;
        }
        catch (BackupObjectNotFoundException ex)
        {
            buffer.Dispose();
            throw new RepositoryCorruptException($"Pack {location.Pack.ToShortString()} holding blob {id.ToShortString()} is missing from {Target.Description}.", ex) { BlobId = id, ObjectKey = RepositoryLayout.PackKey(location.Pack), Remedy = RepositoryRemedy.Check };
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    /// <summary>Decodes a stored blob and checks it against its ID.</summary>
    public void DecodeBlob(BlobId id, ReadOnlySpan<byte> stored, uint rawLength, PooledBufferWriter destination)
    {
        destination.Reset();
        Span<byte> aad = stackalloc byte[BlobId.Size];
        id.WriteTo(aad);
        try
        {
            Chain.DecodeTo(stored, aad, destination, (int)Math.Max(rawLength, 1));
        }
        catch (InvalidDataException ex)
        {
            throw new RepositoryCorruptException($"Blob {id.ToShortString()} is damaged or altered: {ex.Message}", ex) { Remedy = RepositoryRemedy.Check };
        }

        if (destination.WrittenCount != rawLength || ComputeId(destination.WrittenSpan) != id)
        {
            throw new RepositoryCorruptException($"Blob {id.ToShortString()} does not match its ID: it is damaged or altered.") { Remedy = RepositoryRemedy.Check };
        }
    }

    /// <summary>Reads the index objects and any packs they miss into <see cref="Index"/>.</summary>
    public async Task LoadIndexAsync(CancellationToken cancellationToken = default)
    {
        List<string> indexKeys;
        using (RepositoryActivity.Start("index.list"))
        {
            indexKeys = await ListIndexKeysAsync(cancellationToken).ConfigureAwait(false);
        }

        _knownIndexKeys.Clear();
        foreach (var key in indexKeys)
        {
            _knownIndexKeys.TryAdd(key, 0);
        }

        // Packs named by any index. Not Index.ContainsPack: while prune runs, a blob may be listed in two packs
        // and only the first location is kept, so a listed pack can hold no "known" blob and would be mistaken
        // for an unindexed one (and its header read on every open).
        var indexedPacks = new ConcurrentDictionary<BlobId, byte>();

        // The packs are listed while the index objects load (the listing needs nothing from them): on a remote store
        // its requests' latency hides behind the index reads instead of adding to every open.
        var packListing = ListPacksAsync(cancellationToken);
        var indexLoading = LoadIndexObjectsAsync(indexKeys, indexedPacks, null, cancellationToken);
        await Task.WhenAll(packListing, indexLoading).ConfigureAwait(false);
        var superseded = await indexLoading.ConfigureAwait(false);
        _supersededIndexKeys = superseded;
        if (superseded.Count > 0)
        {
            // An index that another one supersedes may still be listed (prune writes the new index before it
            // deletes the old ones) and may name packs about to be deleted: load only the newer ones.
            Index.Clear();
            indexedPacks.Clear();
            await LoadIndexObjectsAsync(indexKeys.Where(k => !superseded.Contains(k)).ToList(), indexedPacks, null, cancellationToken).ConfigureAwait(false);
        }

        // Packs that no index lists were left by a writer that stopped before writing its index (or are being
        // written right now): their headers say what they hold, so their blobs are reused instead of stored again.
        var unindexed = new List<BackupObjectInfo>();
        var listed = new HashSet<BlobId>();
        foreach (var info in await packListing.ConfigureAwait(false))
        {
            if (RepositoryLayout.TryParseId(info.Key, out var pack))
            {
                listed.Add(pack);
                if (!indexedPacks.ContainsKey(pack))
                {
                    unindexed.Add(info);
                }
            }
        }

        // Packs the index names that are not stored: reusing their blobs would write snapshots referencing data that
        // is gone, so writers store those blobs again. Where another index object names a stored copy, that one wins.
        var missing = indexedPacks.Keys.Where(p => !listed.Contains(p)).ToHashSet();
        _missingPacks = missing;
        if (missing.Count > 0)
        {
            Index.Clear();
            indexedPacks.Clear();
            await LoadIndexObjectsAsync([.. indexKeys.Where(k => !superseded.Contains(k))], indexedPacks, missing, cancellationToken).ConfigureAwait(false);
        }

        using var headers = unindexed.Count > 0 ? RepositoryActivity.Start("index.unindexed") : null;
        await Parallel.ForEachAsync(unindexed, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken }, async (info, ct) =>
        {
            var entries = await TryReadPackHeaderAsync(info, ct).ConfigureAwait(false);
            if (entries is null || !RepositoryLayout.TryParseId(info.Key, out var pack))
            {
                return;
            }

            _unindexedPacks[pack] = entries;
            foreach (var entry in entries)
            {
                AddPreferringStored(entry.Id, new BlobLocation(pack, entry.Type, entry.Offset, entry.Length, entry.RawLength), missing);
            }
        }).ConfigureAwait(false);
    }

    /// <summary>
    /// Brings <see cref="Index"/> up to date with the index objects on storage, as a writer must after taking its lock
    /// and before it deduplicates against the index: between loading the index and locking, another process may have
    /// pruned (deleting packs this index still names) or backed up (adding packs it does not know).
    /// </summary>
    /// <remarks>
    /// Lists <c>index/</c> only. When every index object loaded before is still there, new ones are read and added
    /// (the packs they name are new; nothing known was deleted, because prune and repair delete packs only after
    /// replacing every index object that names them). When one is gone, or packs were known only from their headers
    /// (prune deletes unused unindexed packs), the index is cleared and loaded again. Call it while holding a
    /// repository lock, so no prune can start until the caller is done.
    /// </remarks>
    /// <returns>True when anything was (re)loaded.</returns>
    public async Task<bool> RefreshIndexAsync(CancellationToken cancellationToken = default)
    {
        await _refreshGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var listed = await ListIndexKeysAsync(cancellationToken).ConfigureAwait(false);
            var added = listed.Where(k => !_knownIndexKeys.ContainsKey(k)).ToList();
            var removed = _knownIndexKeys.Count - (listed.Count - added.Count);
            if (added.Count == 0 && removed == 0)
            {
                return false;
            }

            if (removed > 0 || _knownIndexKeys.IsEmpty || !_unindexedPacks.IsEmpty)
            {
                Index.Clear();
                _unindexedPacks.Clear();
                await LoadIndexAsync(cancellationToken).ConfigureAwait(false);
                return true;
            }

            var superseded = await LoadIndexObjectsAsync(added, new ConcurrentDictionary<BlobId, byte>(), _missingPacks, cancellationToken).ConfigureAwait(false);
            _supersededIndexKeys = [.. _supersededIndexKeys, .. superseded];
            foreach (var key in added)
            {
                _knownIndexKeys.TryAdd(key, 0);
            }

            return true;
        }
        finally
        {
            _refreshGate.Release();
        }
    }

    private async Task<List<BackupObjectInfo>> ListPacksAsync(CancellationToken cancellationToken)
    {
        using var activity = RepositoryActivity.Start("index.packs");
        var packs = new List<BackupObjectInfo>();
        await foreach (var info in Target.ListWithinAsync(RepositoryLayout.DataPrefix, cancellationToken).ConfigureAwait(false))
        {
            packs.Add(info);
        }

        return packs;
    }

    private async Task<List<string>> ListIndexKeysAsync(CancellationToken cancellationToken)
    {
        var keys = new List<string>();
        await foreach (var info in Target.ListWithinAsync(RepositoryLayout.IndexPrefix, cancellationToken).ConfigureAwait(false))
        {
            keys.Add(info.Key);
        }

        return keys;
    }

    /// <summary>Records where a writer stored a blob; a location in a missing pack gives way to it.</summary>
    public void RecordStored(BlobId id, BlobLocation location) => AddPreferringStored(id, location, _missingPacks);

    /// <summary>Records a blob's location; one already known in a pack of <paramref name="missing"/> gives way to a stored copy.</summary>
    private void AddPreferringStored(BlobId id, BlobLocation location, IReadOnlySet<BlobId>? missing)
    {
        if (!Index.TryAdd(id, location) && missing is { Count: > 0 } && !missing.Contains(location.Pack)
            && Index.TryGet(id, out var known) && missing.Contains(known.Pack))
        {
            Index.Relocate(id, location);
        }
    }

    /// <summary>
    /// Loads index objects into <see cref="Index"/>; returns the keys of loaded index objects that another one
    /// supersedes. Where a blob is listed twice, the first location read is kept, unless it is in a pack of
    /// <paramref name="missing"/> and the other is not.
    /// </summary>
    private async Task<HashSet<string>> LoadIndexObjectsAsync(List<string> indexKeys, ConcurrentDictionary<BlobId, byte> indexedPacks, IReadOnlySet<BlobId>? missing, CancellationToken cancellationToken)
    {
        using var activity = RepositoryActivity.Start("index.read");
        var supersededIds = new ConcurrentDictionary<BlobId, byte>();
        await Parallel.ForEachAsync(indexKeys, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken }, async (key, ct) =>
        {
            IndexFile index;
            try
            {
                var stored = await ReadIndexObjectAsync(key, ct).ConfigureAwait(false);
                index = IndexFile.Decode(stored, Chain);
            }
            catch (Exception ex) when (ex is InvalidDataException or BackupObjectTooLargeException)
            {
                throw new RepositoryCorruptException($"Index object '{key}' is damaged or altered ({ex.Message}); rebuilding the index from the packs repairs it.", ex) { ObjectKey = key, Remedy = RepositoryRemedy.RepairIndex };
            }

            foreach (var id in index.Supersedes)
            {
                supersededIds.TryAdd(id, 0);
            }

            foreach (var (pack, entries) in index.Packs)
            {
                indexedPacks.TryAdd(pack, 0);
                foreach (var entry in entries)
                {
                    AddPreferringStored(entry.Id, new BlobLocation(pack, entry.Type, entry.Offset, entry.Length, entry.RawLength), missing);
                }
            }
        }).ConfigureAwait(false);

        return [.. indexKeys.Where(k => RepositoryLayout.TryParseId(k, out var id) && supersededIds.ContainsKey(id))];
    }

    /// <summary>Reads and decodes a pack's header; null when the pack is damaged or unreadable.</summary>
    public async Task<List<PackHeaderEntry>?> TryReadPackHeaderAsync(BackupObjectInfo pack, CancellationToken cancellationToken = default)
    {
        try
        {
            return await ReadPackHeaderAsync(pack, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidDataException or BackupTargetException)
        {
            return null;
        }
    }

    /// <summary>Reads and decodes a pack's header.</summary>
    /// <exception cref="InvalidDataException">The pack is truncated, damaged or altered.</exception>
    public async Task<List<PackHeaderEntry>> ReadPackHeaderAsync(BackupObjectInfo pack, CancellationToken cancellationToken = default) =>
        (await ReadPackLayoutAsync(pack, cancellationToken).ConfigureAwait(false)).Header;

    /// <summary>Reads and decodes a pack's header, and says where its blob area ends (where the header starts).</summary>
    /// <exception cref="InvalidDataException">The pack is truncated, damaged or altered.</exception>
    public async Task<(List<PackHeaderEntry> Header, long BlobAreaEnd)> ReadPackLayoutAsync(BackupObjectInfo pack, CancellationToken cancellationToken = default)
    {
        PackFormat.CheckPackLength(pack.Key, pack.Length);

        var trailer = await Target.ReadBytesAsync(pack.Key, pack.Length - PackFormat.TrailerSize, PackFormat.TrailerSize, cancellationToken).ConfigureAwait(false);
        var headerLength = PackFormat.ReadHeaderLength(trailer, pack.Length);
        var blobAreaEnd = pack.Length - PackFormat.TrailerSize - headerLength;
        var header = await Target.ReadBytesAsync(pack.Key, blobAreaEnd, headerLength, cancellationToken).ConfigureAwait(false);
        return (PackFormat.DecodeHeader(header, pack.Length, Chain), blobAreaEnd);
    }

    /// <summary>Reads an index object whole (bounded by the largest index object a writer makes), without decoding it.</summary>
    public Task<byte[]> ReadIndexObjectAsync(string key, CancellationToken cancellationToken) =>
        Target.ReadAllAsync(key, ObjectSizeLimits.Index, cancellationToken);

    /// <summary>
    /// Writes index objects listing <paramref name="packs"/>, each naming <paramref name="supersedes"/> as replaced, at
    /// most <see cref="MaxBlobsPerIndexObject"/> blobs to an object; returns the keys written. What this process wrote
    /// is remembered, so <see cref="RefreshIndexAsync"/> does not read it back.
    /// </summary>
    public async Task<List<string>> WriteIndexAsync(IEnumerable<(BlobId Pack, IReadOnlyList<PackHeaderEntry> Entries)> packs, IReadOnlyList<BlobId> supersedes, CancellationToken cancellationToken)
    {
        var written = new List<string>();
        var index = NewIndex(supersedes);
        var blobs = 0;
        foreach (var (pack, entries) in packs)
        {
            index.Packs[pack] = entries as List<PackHeaderEntry> ?? [.. entries];
            blobs += entries.Count;
            if (blobs >= MaxBlobsPerIndexObject)
            {
                written.Add(await PutIndexAsync(index, cancellationToken).ConfigureAwait(false));
                index = NewIndex(supersedes);
                blobs = 0;
            }
        }

        if (index.Packs.Count > 0)
        {
            written.Add(await PutIndexAsync(index, cancellationToken).ConfigureAwait(false));
        }

        return written;
    }

    private static IndexFile NewIndex(IReadOnlyList<BlobId> supersedes)
    {
        var index = new IndexFile();
        index.Supersedes.AddRange(supersedes);
        return index;
    }

    private async Task<string> PutIndexAsync(IndexFile index, CancellationToken cancellationToken)
    {
        var stored = index.Encode(Chain);
        var key = RepositoryLayout.IndexKey(BlobId.Sha256(stored));
        await Target.PutAsync(key, stored, cancellationToken).ConfigureAwait(false);
        _knownIndexKeys.TryAdd(key, 0);
        return key;
    }

    /// <summary>
    /// Forgets the loaded index, freeing its memory, for maintenance that works from its own view of the index objects;
    /// the next <see cref="RefreshIndexAsync"/> (every operation's start) loads it again. Returns whether one was loaded.
    /// </summary>
    internal bool UnloadIndex()
    {
        var loaded = !_knownIndexKeys.IsEmpty || !_unindexedPacks.IsEmpty || Index.Count > 0;
        Index.Clear();
        _unindexedPacks.Clear();
        _knownIndexKeys.Clear();
        _supersededIndexKeys = new(StringComparer.Ordinal);
        return loaded;
    }

    /// <summary>Forgets the index and loads it again from storage (after this process replaced index objects).</summary>
    public async Task ReloadIndexAsync(CancellationToken cancellationToken)
    {
        Index.Clear();
        _unindexedPacks.Clear();
        await LoadIndexAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Lists the stored objects under <paramref name="prefix"/> (a <see cref="RepositoryLayout"/> prefix).</summary>
    public IAsyncEnumerable<BackupObjectInfo> ListAsync(string prefix, CancellationToken cancellationToken) => Target.ListWithinAsync(prefix, cancellationToken);

    /// <summary>How many objects are stored under <paramref name="prefix"/>, and their bytes.</summary>
    public async Task<(int Count, long Bytes)> CountAsync(string prefix, CancellationToken cancellationToken)
    {
        var count = 0;
        long bytes = 0;
        await foreach (var info in Target.ListWithinAsync(prefix, cancellationToken).ConfigureAwait(false))
        {
            count++;
            bytes += info.Length;
        }

        return (count, bytes);
    }

    /// <summary>Lists the packs' IDs that are stored now.</summary>
    public async Task<HashSet<BlobId>> ListPackIdsAsync(CancellationToken cancellationToken)
    {
        var present = new HashSet<BlobId>();
        await foreach (var info in Target.ListWithinAsync(RepositoryLayout.DataPrefix, cancellationToken).ConfigureAwait(false))
        {
            if (RepositoryLayout.TryParseId(info.Key, out var pack))
            {
                present.Add(pack);
            }
        }

        return present;
    }

    /// <summary>Reads a whole pack as stored.</summary>
    public Task<byte[]> ReadPackAsync(BlobId pack, CancellationToken cancellationToken) =>
        Target.ReadAllAsync(RepositoryLayout.PackKey(pack), ObjectSizeLimits.Pack, cancellationToken);

    /// <summary>Stores a whole pack under its ID.</summary>
    public Task PutPackAsync(BlobId pack, ReadOnlyMemory<byte> content, CancellationToken cancellationToken) =>
        Target.PutAsync(RepositoryLayout.PackKey(pack), content, cancellationToken);

    /// <summary>Deletes a pack.</summary>
    public Task DeletePackAsync(BlobId pack, CancellationToken cancellationToken) =>
        Target.DeleteAsync(RepositoryLayout.PackKey(pack), cancellationToken);

    /// <summary>Deletes an index object (after the index objects that replace it are stored).</summary>
    public Task DeleteIndexObjectAsync(string key, CancellationToken cancellationToken) =>
        Target.DeleteAsync(key, cancellationToken);

    /// <inheritdoc />
    public void Dispose()
    {
        Encryption.Dispose();
        (Compression as IDisposable)?.Dispose();
        UserTransforms.Dispose(_userTransforms);
        _refreshGate.Dispose();
    }
}
