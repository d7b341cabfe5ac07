using Backup.Core.Buffers;
using Backup.Core.Repository;
using Backup.Core.Storage;
using Backup.Core.Repository.Blobs;

namespace Backup.Core.Maintenance;

/// <summary>
/// A fresh, self-made view of what the repository stores, read from the objects themselves rather than from the
/// index the repository loaded when it was opened: check, prune and repair must see damaged index objects (which
/// <see cref="BlobStore.LoadIndexAsync"/> refuses), and must not act on an index that is stale.
/// </summary>
/// <remarks>
/// Memory: every listing's entries are held once, in a <see cref="BlobCatalog"/> (about 56 bytes a blob, the same as
/// the repository's in-memory index); each listing is a view of its consecutive ordinals, and callers mark blobs by
/// ordinal in a bitmap. Index objects are decoded one at a time, so only one is held decoded at once.
/// </remarks>
internal sealed class RepositoryScan
{
    private RepositoryScan(BackupRepository repository) => Repository = repository;

    public BackupRepository Repository { get; }

    /// <summary>Every object under data/ that is named like a pack.</summary>
    public Dictionary<BlobId, BackupObjectInfo> PackObjects { get; } = [];

    /// <summary>Index objects that decoded, by ID.</summary>
    public List<BlobId> IndexIds { get; } = [];

    /// <summary>Index objects that did not decode: key and reason.</summary>
    public List<(string Key, string Message)> DamagedIndexes { get; } = [];

    /// <summary>Each pack's blobs as the first index (or, for unindexed packs, the header) that lists it says.</summary>
    public Dictionary<BlobId, PackListing> Listings { get; } = [];

    /// <summary>
    /// Packs an index names that are not in data/: pack and the index key that names it. Not those only an index that
    /// another one supersedes names: prune wrote the new index without them and deleted them, while the old index stayed
    /// (its deletion refused under a retention lock); readers ignore it, as <see cref="BlobStore.LoadIndexAsync"/> does.
    /// </summary>
    public List<(BlobId Pack, string IndexKey)> MissingPacks { get; } = [];

    /// <summary>Packs in data/ that no index lists and whose header could not be read: pack and reason.</summary>
    public List<(BlobId Pack, string Message)> UnreadablePacks { get; } = [];

    /// <summary>Every entry of every listing, and blob ID to the copy readers use (an indexed listing before an unindexed one, then the smaller pack ID).</summary>
    public BlobCatalog Index { get; } = new();

    /// <summary>Objects under data/ not named like a pack.</summary>
    public List<string> StrayObjects { get; } = [];

    /// <summary>Lists data/ and index/, decodes every index object and reads the header of every unindexed pack.</summary>
    /// <param name="repository">The repository.</param>
    /// <param name="readIndexes">False to ignore the index objects and read every pack's header (index repair).</param>
    /// <param name="cancellationToken">Stops the scan.</param>
    public static async Task<RepositoryScan> RunAsync(BackupRepository repository, bool readIndexes, CancellationToken cancellationToken)
    {
        var scan = new RepositoryScan(repository);
        var blobs = repository.Blobs;
        await foreach (var info in blobs.ListAsync(RepositoryLayout.DataPrefix, cancellationToken).ConfigureAwait(false))
        {
            if (RepositoryLayout.TryParseId(info.Key, out var pack) && info.Key == RepositoryLayout.PackKey(pack))
            {
                scan.PackObjects[pack] = info;
            }
            else
            {
                scan.StrayObjects.Add(info.Key);
            }
        }

        var indexKeys = new List<string>();
        await foreach (var info in blobs.ListAsync(RepositoryLayout.IndexPrefix, cancellationToken).ConfigureAwait(false))
        {
            indexKeys.Add(info.Key);
        }

        // Sorted so that which listing of a duplicated blob wins does not depend on listing order.
        indexKeys.Sort(StringComparer.Ordinal);
        var superseded = new HashSet<BlobId>();
        foreach (var key in indexKeys)
        {
            if (!RepositoryLayout.TryParseId(key, out var indexId) || key != RepositoryLayout.IndexKey(indexId))
            {
                scan.DamagedIndexes.Add((key, "not named like an index object"));
                continue;
            }

            // Even when the indexes are ignored, their IDs are kept: a rebuilt index supersedes them all.
            if (!readIndexes)
            {
                scan.IndexIds.Add(indexId);
                continue;
            }

            IndexFile index;
            try
            {
                var stored = await blobs.ReadIndexObjectAsync(key, cancellationToken).ConfigureAwait(false);
                if (BlobId.Sha256(stored) != indexId)
                {
                    throw new InvalidDataException("its content does not match its name");
                }

                index = IndexFile.Decode(stored, repository.Blobs.Chain);
            }
            catch (Exception ex) when (ex is InvalidDataException or BackupObjectNotFoundException or BackupObjectTooLargeException)
            {
                scan.DamagedIndexes.Add((key, ex.Message));
                continue;
            }

            scan.IndexIds.Add(indexId);
            superseded.UnionWith(index.Supersedes);
            foreach (var (pack, entries) in index.Packs)
            {
                if (!scan.PackObjects.ContainsKey(pack))
                {
                    scan.MissingPacks.Add((pack, key));
                    continue;
                }

                if (!scan.Listings.ContainsKey(pack))
                {
                    scan.Listings.Add(pack, scan.Index.Add(pack, entries, key));
                }
            }
        }

        scan.MissingPacks.RemoveAll(m => RepositoryLayout.TryParseId(m.IndexKey, out var id) && superseded.Contains(id));
        var unindexed = scan.PackObjects.Values.Where(p => RepositoryLayout.TryParseId(p.Key, out var id) && !scan.Listings.ContainsKey(id)).ToList();
        var headers = new (BackupObjectInfo Info, List<PackHeaderEntry>? Entries, string? Error)[unindexed.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, unindexed.Count), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken }, async (i, ct) =>
        {
            try
            {
                headers[i] = (unindexed[i], await repository.Blobs.ReadPackHeaderAsync(unindexed[i], ct).ConfigureAwait(false), null);
            }
            catch (Exception ex) when (ex is InvalidDataException or BackupTargetException)
            {
                headers[i] = (unindexed[i], null, ex.Message);
            }
        }).ConfigureAwait(false);

        foreach (var (info, entries, error) in headers.OrderBy(h => h.Info.Key, StringComparer.Ordinal))
        {
            if (!RepositoryLayout.TryParseId(info.Key, out var pack))
            {
                continue;
            }

            if (entries is null)
            {
                scan.UnreadablePacks.Add((pack, error ?? "unreadable"));
            }
            else
            {
                scan.Listings[pack] = scan.Index.Add(pack, entries, null);
            }
        }

        return scan;
    }

    /// <summary>Reads and checks one blob through this scan's index.</summary>
    /// <exception cref="RepositoryCorruptException">The blob is not listed, its pack is gone, or it is damaged.</exception>
    public async Task<byte[]> ReadBlobAsync(BlobId id, CancellationToken cancellationToken)
    {
        if (!Index.TryGet(id, out var location))
        {
            throw new RepositoryCorruptException($"Blob {id.ToShortString()} is not in the index.");
        }

        PooledBuffer stored;
        try
        {
            stored = await Repository.Blobs.ReadStoredAsync(id, location, (int)location.Length, cancellationToken).ConfigureAwait(false);
        }
        catch (BackupTargetException ex)
        {
            throw new RepositoryCorruptException($"Pack {location.Pack.ToShortString()} holding blob {id.ToShortString()} could not be read: {ex.Message}", ex);
        }

        using (stored)
        {
            using var buffer = new PooledBufferWriter((int)Math.Max(location.RawLength, 256), Repository.Blobs.BufferPool);
            Repository.Blobs.DecodeBlob(id, stored.Span, location.RawLength, buffer);
            return buffer.WrittenSpan.ToArray();
        }
    }

    /// <summary>Reads and parses one tree blob through this scan's index.</summary>
    /// <exception cref="RepositoryCorruptException">The tree is missing, damaged or not a tree.</exception>
    public async Task<Snapshots.Tree> LoadTreeAsync(BlobId id, CancellationToken cancellationToken)
    {
        var bytes = await ReadBlobAsync(id, cancellationToken).ConfigureAwait(false);
        return Snapshots.TreeCodec.Decode(bytes, id);
    }
}

/// <summary>One pack's blobs as an index (or its own header, when <see cref="IndexKey"/> is null) lists them.</summary>
internal sealed record PackListing(BlobId Pack, IReadOnlyList<PackHeaderEntry> Entries, string? IndexKey);
