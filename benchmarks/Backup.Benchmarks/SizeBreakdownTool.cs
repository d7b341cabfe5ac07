using System.Globalization;
using Backup.Core;
using Backup.Core.Crypto;
using Backup.Core.Repository;
using Backup.Core.Repository.Blobs;
using Backup.Core.Storage;
using Backup.Core.Transforms;

namespace Backup.Benchmarks;

/// <summary>
/// <c>size-breakdown REPO_DIR</c> (password in $BACKUP_PASSWORD): where a local repository's bytes go, per blob type:
/// the blobs' plaintext and stored bytes, the part of the stored bytes that is envelope header and encryption
/// overhead, pack headers and trailers, index objects, snapshots and keys; and what the tree blobs would take at
/// other zstd levels. Compare with restic's `stats --mode raw-data` and `cat index` (benchmarks/README.md).
/// </summary>
internal static class SizeBreakdownTool
{
    public static async Task<int> RunAsync(string[] args)
    {
        var directory = args.Length > 0 ? args[0] : throw new ArgumentException("usage: size-breakdown REPO_DIR");
        var password = Environment.GetEnvironmentVariable("BACKUP_PASSWORD") ?? throw new ArgumentException("set BACKUP_PASSWORD");
        var target = new LocalDirectoryTarget(directory);
        using var credentials = RepositoryCredentials.FromPassword(password);
        await using var repository = await BackupRepository.OpenAsync(target, credentials);

        long Sum(string prefix) => Directory.Exists(Path.Combine(directory, prefix))
            ? Directory.EnumerateFiles(Path.Combine(directory, prefix), "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length) : 0;
        var packBytes = Sum("data");
        var blobs = repository.Blobs.Index.ToList();
        var files = blobs.Count(b => b.Location.Type == BlobType.Data);
        var header = new byte[2];
        var compressed = new Dictionary<BlobType, int>();
        var treeRaw = new List<byte[]>();
        foreach (var (id, location) in blobs)
        {
            // The envelope's second byte counts the transforms: 2 when zstd applied, 1 when it declined.
            await target.ReadAsync(RepositoryLayout.PackKey(location.Pack), location.Offset, header);
            compressed[location.Type] = compressed.GetValueOrDefault(location.Type) + (header[1] == 2 ? 1 : 0);
            if (location.Type == BlobType.Tree)
            {
                treeRaw.Add(await repository.Blobs.ReadBlobAsync(id));
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"repository {directory}: {Sum("") / 1e6:F3} MB; {files} data blobs"));
        Console.WriteLine("type   blobs  compressed      raw_B    stored_B  envelope+crypto_B  payload_B  stored_B/blob");
        long blobBytes = 0;
        foreach (var type in new[] { BlobType.Data, BlobType.Tree })
        {
            var these = blobs.Where(b => b.Location.Type == type).ToList();
            long raw = these.Sum(b => (long)b.Location.RawLength), stored = these.Sum(b => (long)b.Location.Length);
            var zipped = compressed.GetValueOrDefault(type);
            long overhead = (zipped * 19L) + ((these.Count - zipped) * 14L) + (these.Count * 44L);
            blobBytes += stored;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{type,-5} {these.Count,6} {zipped,11} {raw,10} {stored,11} {overhead,18} {stored - overhead,10} {(these.Count == 0 ? 0 : stored / (double)these.Count),14:F1}"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"pack headers+trailers: {packBytes - blobBytes} B ({(packBytes - blobBytes) / (double)blobs.Count:F1} B/blob)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"index objects: {Sum("index")} B ({Sum("index") / (double)blobs.Count:F1} B/blob); snapshots {Sum("snapshots")} B; keys {Sum("keys")} B; config {new FileInfo(Path.Combine(directory, "config")).Length} B"));
        var nodes = treeRaw.Sum(t => t.AsSpan().Count("\"name\""u8));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"trees: {nodes} nodes, raw JSON {treeRaw.Sum(t => (long)t.Length) / (double)nodes:F1} B/node"));
        foreach (var level in new[] { 1, 2, 3, 6, 9, 19 })
        {
            using var zstd = new ZstdTransform(level);
            long total = 0;
            foreach (var tree in treeRaw)
            {
                using var output = new Backup.Core.Buffers.PooledBufferWriter();
                total += zstd.TryEncode(tree, output, default) ? output.WrittenCount : tree.Length;
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  zstd {level,2}: {total} B payload, {total / (double)nodes:F1} B/node"));
        }

        return 0;
    }
}
