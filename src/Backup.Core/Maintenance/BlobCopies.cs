using Backup.Core.Buffers;
using Backup.Core.Repository;
using Backup.Core.Storage;
using Backup.Core.Transforms;
using Backup.Core.Repository.Blobs;

namespace Backup.Core.Maintenance;

/// <summary>One stored copy of a blob: the pack that holds it and the entry that locates it there.</summary>
internal readonly record struct BlobCopy(BlobId Pack, PackHeaderEntry Entry);

/// <summary>
/// Blobs stored more than once, and proof of which copies are readable. An index entry is only a claim: anyone who
/// can add objects (and holds the password) can add a pack and an index that point a blob at junk. Only decoding a
/// copy and checking it against its keyed ID proves it, so before one copy is trusted and the others deleted, the
/// trusted one is read. Duplicates are rare (an interrupted prune, two backups storing the same new chunk at once),
/// so this costs a few ranged reads in the normal case.
/// </summary>
internal static class BlobCopies
{
    /// <summary>
    /// The smallest a stored blob can be: the envelope's version and count bytes, the name of the authenticated
    /// encryption every repository object must end with, and that encryption's salt, nonce and tag.
    /// </summary>
    public const int MinimumStoredLength = 2 + 1 + 11 + AesGcmTransform.Overhead;

    /// <summary>
    /// Every blob listed at more than one place in <paramref name="catalog"/>, with all its copies (the one it resolves
    /// to first); <paramref name="include"/> filters by the resolved copy's ordinal.
    /// </summary>
    public static Dictionary<BlobId, List<BlobCopy>> FindDuplicates(BlobCatalog catalog, Func<int, bool>? include = null)
    {
        var duplicates = new Dictionary<BlobId, List<BlobCopy>>();
        for (var ordinal = 0; ordinal < catalog.Count; ordinal++)
        {
            var entry = catalog.EntryAtOrdinal(ordinal);
            if (!catalog.TryGetOrdinal(entry.Id, out var resolved, out var location) || resolved == ordinal || (include is not null && !include(resolved)))
            {
                continue;
            }

            if (!duplicates.TryGetValue(entry.Id, out var copies))
            {
                copies = [new BlobCopy(location.Pack, new PackHeaderEntry(entry.Id, location.Type, location.Offset, location.Length, location.RawLength))];
                duplicates[entry.Id] = copies;
            }

            copies.Add(new BlobCopy(catalog.PackAt(ordinal), entry));
        }

        return duplicates;
    }

    /// <summary>Reads one copy and checks it decodes to its ID; null when it does, else why not.</summary>
    public static async Task<string?> VerifyAsync(BackupRepository repository, BlobCopy copy, CancellationToken cancellationToken)
    {
        var entry = copy.Entry;
        if (entry.Length < MinimumStoredLength)
        {
            return $"{entry.Length} stored bytes cannot hold an encrypted blob (at least {MinimumStoredLength})";
        }

        try
        {
            using var stored = await repository.Blobs.ReadStoredAsync(entry.Id, new BlobLocation(copy.Pack, entry.Type, entry.Offset, entry.Length, entry.RawLength), (int)entry.Length, cancellationToken).ConfigureAwait(false);
            using var buffer = new PooledBufferWriter((int)Math.Clamp(entry.RawLength, 256, 64 * 1024 * 1024), repository.Blobs.BufferPool);
            repository.Blobs.DecodeBlob(entry.Id, stored.Span, entry.RawLength, buffer);
            return null;
        }
        catch (Exception ex) when (ex is RepositoryCorruptException or BackupTargetException or InvalidDataException)
        {
            return ex.Message;
        }
    }

    /// <summary>Verifies many copies, four at a time; returns the ones that failed, with the reason.</summary>
    public static async Task<List<(BlobCopy Copy, string Error)>> VerifyAllAsync(BackupRepository repository, IEnumerable<BlobCopy> copies, CancellationToken cancellationToken)
    {
        var failed = new System.Collections.Concurrent.ConcurrentBag<(BlobCopy, string)>();
        await Parallel.ForEachAsync(copies, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken }, async (copy, ct) =>
        {
            if (await VerifyAsync(repository, copy, ct).ConfigureAwait(false) is { } error)
            {
                failed.Add((copy, error));
            }
        }).ConfigureAwait(false);
        return [.. failed.OrderBy(f => f.Item1.Pack).ThenBy(f => f.Item1.Entry.Offset)];
    }
}
