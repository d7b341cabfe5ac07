using System.Diagnostics;
using System.Globalization;
using Backup.Core.Buffers;
using Backup.Core.Crypto;
using Backup.Core.Pipeline;
using Backup.Core.Repository;
using Backup.Core.Snapshots;
using Backup.Core.Sources;
using Backup.Core.Storage;
using Backup.Core.Transforms;

namespace Backup.Benchmarks;

/// <summary>
/// <c>store-ratio [Mixed|Sdk|Text|Random] [MIB] [ROUNDS] [LEVEL]</c>: the whole store path against zstd alone (LEVEL, 2 by default as in a new repository) on the same bytes,
/// measured interleaved round by round in one process, so a shared machine's changing load hits both alike and the
/// ratio (the issue's target: at most 1.3) holds even when absolute figures drift. Also times the backup with
/// compression "none" and the chunk-and-hash stage alone, to show where the time goes. The backups run in the steady
/// state of a long backup: one repository per setting for the whole run (its buffers warm), new bytes every round,
/// and packs handed to a target that keeps no copy, as a disk or network target would not.
/// </summary>
internal static class StoreRatioTool
{
    private const int Block = TestData.MiB;

    public static async Task<int> RunAsync(string[] args)
    {
        var kind = args.Length > 0 ? Enum.Parse<DataKind>(args[0], ignoreCase: true) : DataKind.Sdk;
        var size = (args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 256) * TestData.MiB;
        var rounds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 5;
        var level = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 2;
        var original = TestData.Get(kind, size);
        var data = new byte[original.Length];
        var keyFile = TestData.RandomBytes(64, 17);
        using var zstd = new ZstdTransform(level);
        await using var compressed = await SteadyRepository.CreateAsync(keyFile, $"zstd:{level}");
        await using var uncompressed = await SteadyRepository.CreateAsync(keyFile, "none");
        var runs = new Dictionary<string, List<double>>
        {
            ["backup zstd"] = [], ["backup none"] = [], ["chunk+hash"] = [], ["zstd all cores"] = [], ["zstd one core"] = [],
        };

        for (var round = 0; round <= rounds; round++)
        {
            // New bytes every round (each byte XORed with the round number: the same compressibility, other
            // chunks), so the long-lived repositories store everything again instead of deduplicating it.
            for (var i = 0; i < data.Length; i++)
            {
                data[i] = (byte)(original[i] ^ (round + 1));
            }

            var results = new Dictionary<string, double>
            {
                ["backup zstd"] = await TimeAsync(() => compressed.BackupAsync(data)),
                ["backup none"] = await TimeAsync(() => uncompressed.BackupAsync(data)),
                ["chunk+hash"] = Time(() => ChunkAndHash(data)),
                ["zstd all cores"] = Time(() => ZstdAllCores(data, zstd)),
                ["zstd one core"] = Time(() => ZstdOneCore(data, zstd)),
            };
            if (round == 0)
            {
                continue; // warm-up
            }

            foreach (var (name, seconds) in results)
            {
                runs[name].Add(seconds);
            }

            Console.WriteLine($"round {round}: " + string.Join(", ", results.Select(r => $"{r.Key} {r.Value:F2} s")) +
                $"; backup / zstd one core {results["backup zstd"] / results["zstd one core"]:F2}, all cores {results["backup zstd"] / results["zstd all cores"]:F2}");
        }

        Console.WriteLine();
        Console.WriteLine($"{kind}, {size / TestData.MiB} MiB, zstd level {level}, {rounds} rounds, median:");
        Console.WriteLine("| step | seconds | MB/s |");
        Console.WriteLine("| --- | ---: | ---: |");
        foreach (var (name, list) in runs)
        {
            var median = list.Order().ElementAt(list.Count / 2);
            Console.WriteLine($"| {name} | {median:F2} | {size / median / 1e6:N0} |");
        }

        foreach (var reference in new[] { "zstd one core", "zstd all cores" })
        {
            var ratios = Enumerable.Range(0, rounds).Select(i => runs["backup zstd"][i] / runs[reference][i]).Order().ToList();
            Console.WriteLine($"backup / {reference}, per round: median {ratios[rounds / 2]:F2} (min {ratios[0]:F2}, max {ratios[^1]:F2})");
        }

        return 0;
    }

    private static double Time(Action action)
    {
        var watch = Stopwatch.StartNew();
        action();
        return watch.Elapsed.TotalSeconds;
    }

    private static async Task<double> TimeAsync(Func<Task> action)
    {
        var watch = Stopwatch.StartNew();
        await action();
        return watch.Elapsed.TotalSeconds;
    }

    private static void ChunkAndHash(byte[] data)
    {
        var chunker = new Backup.Core.Chunking.FastCdcChunker(TestData.Secret);
        ReadOnlySpan<byte> rest = data;
        while (!rest.IsEmpty)
        {
            var cut = chunker.NextBoundary(rest);
            BlobId.Compute(TestData.Secret, rest[..cut]);
            rest = rest[cut..];
        }
    }

    private static void ZstdOneCore(byte[] data, ZstdTransform zstd)
    {
        using var output = new PooledBufferWriter(2 * Block);
        for (var offset = 0; offset < data.Length; offset += Block)
        {
            output.Reset();
            zstd.TryEncode(data.AsSpan(offset, Math.Min(Block, data.Length - offset)), output, default);
        }
    }

    private static void ZstdAllCores(byte[] data, ZstdTransform zstd) =>
        Parallel.For(0, (data.Length + Block - 1) / Block, () => new PooledBufferWriter(2 * Block), (i, _, output) =>
        {
            output.Reset();
            zstd.TryEncode(data.AsSpan(i * Block, Math.Min(Block, data.Length - (i * Block))), output, default);
            return output;
        }, output => output.Dispose());
}
