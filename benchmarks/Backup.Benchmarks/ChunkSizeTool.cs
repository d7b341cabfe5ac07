using System.Diagnostics;
using System.Globalization;
using System.Text;
using Backup.Core.Chunking;
using Backup.Core.Repository;

namespace Backup.Benchmarks;

/// <summary>
/// <c>chunk-sizes [PATH] [DUMP_MIB]</c>: for candidate chunk size limits, measures the dedup of a second version of
/// (a) a directory of files (default: the .NET SDK folder) with about 1% of the files changed by an insertion in
/// the middle, and (b) a synthetic SQL dump with 1% of its rows changed, scattered or clustered; plus the number
/// of chunks (index memory) and the chunking speed. Prints a Markdown table (see docs/chunking.md).
/// </summary>
internal static class ChunkSizeTool
{
    private const int KiB = 1024;
    private const int MiB = 1024 * KiB;

    /// <summary>Bytes of memory the in-memory ChunkIndex needs per blob (48-byte entry plus slots at most 3/4 full).</summary>
    private const int IndexBytesPerBlob = 56;

    private static readonly (string Name, ChunkerOptions Options)[] Candidates =
    [
        ("128K/256K/1M", new ChunkerOptions { MinSize = 128 * KiB, AverageSize = 256 * KiB, MaxSize = 1 * MiB }),
        ("256K/512K/2M", new ChunkerOptions { MinSize = 256 * KiB, AverageSize = 512 * KiB, MaxSize = 2 * MiB }),
        ("512K/1M/8M", new ChunkerOptions { MinSize = 512 * KiB, AverageSize = 1 * MiB, MaxSize = 8 * MiB }),
        ("512K/2M/8M", new ChunkerOptions { MinSize = 512 * KiB, AverageSize = 2 * MiB, MaxSize = 8 * MiB }),
        ("1M/2M/8M", new ChunkerOptions { MinSize = 1 * MiB, AverageSize = 2 * MiB, MaxSize = 8 * MiB }),
    ];

    public static int Run(string[] args)
    {
        var path = args.Length > 0 ? args[0] : TestData.SdkDirectory;
        var dumpMiB = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 128;
        if (!Directory.Exists(path))
        {
            Console.Error.WriteLine($"'{path}' is not a directory. Usage: chunk-sizes [PATH] [DUMP_MIB]");
            return 2;
        }

        var files = TestData.SdkFiles(path).Select(ReadOrEmpty).ToList();
        var modified = ModifyFiles(files, fraction: 0.01, seed: 42, out var changedFiles);
        Console.WriteLine($"corpus (a): {path}: {files.Count} files, {files.Sum(f => (long)f.Length) / (double)MiB:F0} MiB; version 2 changes {changedFiles} files by a 100-byte insertion in the middle");
        var (dump, scattered, clustered) = Dump((long)dumpMiB * MiB, seed: 7);
        Console.WriteLine($"corpus (b): SQL dump, {dump.Length / (double)MiB:F0} MiB; version 2 changes 1% of rows, scattered uniformly or in runs of 500 rows");
        Console.WriteLine();
        Console.WriteLine("| setting | corpus | chunks v1 | mean chunk | index MiB per TiB | new bytes in v2 / v2 size | chunking MB/s |");
        Console.WriteLine("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (var (name, options) in Candidates)
        {
            var chunker = new FastCdcChunker(TestData.Secret, options);
            Print(name, "SDK folder (a)", Measure(chunker, files, modified));
            var (dumpFirst, dumpScattered) = (new[] { dump }, new[] { scattered });
            Print(name, "SQL dump, scattered (b)", Measure(chunker, dumpFirst, dumpScattered));
            Print(name, "SQL dump, clustered (b)", Measure(chunker, dumpFirst, [clustered]));
        }

        return 0;
    }

    private static byte[] ReadOrEmpty(string file)
    {
        try
        {
            return File.ReadAllBytes(file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static void Print(string name, string corpus, Result r)
    {
        var mean = (double)r.Bytes / r.Chunks;
        var indexPerTiB = (double)(1L << 40) / mean * IndexBytesPerBlob / MiB;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {corpus} | {r.Chunks:N0} | {mean / KiB:N0} KiB | {indexPerTiB:N0} | {100.0 * r.NewBytes / r.SecondBytes:F2}% | {r.Bytes / r.Seconds / 1e6:N0} |"));
    }

    private readonly record struct Result(long Chunks, long Bytes, double Seconds, long NewBytes, long SecondBytes);

    private static Result Measure(FastCdcChunker chunker, IReadOnlyList<byte[]> first, IReadOnlyList<byte[]> second)
    {
        // Speed: boundaries only, best of two passes (the machine is shared).
        long chunks = 0, bytes = 0;
        var best = double.MaxValue;
        for (var pass = 0; pass < 2; pass++)
        {
            chunks = 0;
            bytes = 0;
            var watch = Stopwatch.StartNew();
            foreach (var data in first)
            {
                foreach (var length in Cut(chunker, data))
                {
                    chunks++;
                    bytes += length;
                }
            }

            best = Math.Min(best, watch.Elapsed.TotalSeconds);
        }

        var seen = new HashSet<BlobId>();
        foreach (var data in first)
        {
            var offset = 0;
            foreach (var length in Cut(chunker, data))
            {
                seen.Add(BlobId.Sha256(data.AsSpan(offset, length)));
                offset += length;
            }
        }

        long newBytes = 0, secondBytes = 0;
        foreach (var data in second)
        {
            var offset = 0;
            foreach (var length in Cut(chunker, data))
            {
                secondBytes += length;
                if (seen.Add(BlobId.Sha256(data.AsSpan(offset, length))))
                {
                    newBytes += length;
                }

                offset += length;
            }
        }

        return new Result(chunks, bytes, best, newBytes, secondBytes);
    }

    private static List<int> Cut(FastCdcChunker chunker, byte[] data)
    {
        var lengths = new List<int>();
        ReadOnlySpan<byte> rest = data;
        while (!rest.IsEmpty)
        {
            var cut = chunker.NextBoundary(rest);
            lengths.Add(cut);
            rest = rest[cut..];
        }

        return lengths;
    }

    private static List<byte[]> ModifyFiles(List<byte[]> files, double fraction, int seed, out int changed)
    {
        var random = new Random(seed);
        var result = new List<byte[]>(files.Count);
        changed = 0;
        foreach (var file in files)
        {
            if (file.Length == 0 || random.NextDouble() >= fraction)
            {
                result.Add(file);
                continue;
            }

            var insertion = new byte[100];
            random.NextBytes(insertion);
            var middle = file.Length / 2;
            result.Add([.. file.AsSpan(0, middle), .. insertion, .. file.AsSpan(middle)]);
            changed++;
        }

        return result;
    }

    /// <summary>A pg_dump-like INSERT stream, and two second versions with 1% of the rows changed (scattered; in runs of 500).</summary>
    private static (byte[] First, byte[] Scattered, byte[] Clustered) Dump(long size, int seed)
    {
        string[] statuses = ["new", "paid", "shipped", "delivered", "returned"];
        string[] products = ["widget", "gadget", "sprocket", "gizmo", "doohickey", "thingamajig"];
        var rows = new Random(seed);
        var scatter = new Random(seed + 1);
        var cluster = new Random(seed + 2);
        using var first = new MemoryStream();
        using var scattered = new MemoryStream();
        using var clustered = new MemoryStream();
        var header = Encoding.ASCII.GetBytes("-- synthetic dump\nCREATE TABLE orders (id bigint, customer text, email text, product text, quantity int, price numeric, status text, created_at timestamp);\n");
        first.Write(header);
        scattered.Write(header);
        clustered.Write(header);
        var run = 0;
        var time = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        for (long id = 1; first.Length < size; id++)
        {
            var customer = rows.Next(100_000);
            time = time.AddSeconds(rows.Next(1, 120));
            var quantity = rows.Next(1, 20);
            var price = rows.Next(100, 100_000) / 100.0;
            var product = products[rows.Next(products.Length)];
            var status = statuses[rows.Next(statuses.Length)];
            var row = Row(id, customer, product, quantity, price, status, time);
            first.Write(row);
            var changedScattered = scatter.NextDouble() < 0.01;
            scattered.Write(changedScattered ? Row(id, customer, product, quantity + 1, price * 0.9, "refunded", time) : row);
            if (run == 0 && cluster.NextDouble() < 0.01 / 500)
            {
                run = 500;
            }

            clustered.Write(run > 0 ? Row(id, customer, product, quantity + 1, price * 0.9, "refunded", time) : row);
            run = Math.Max(0, run - 1);
        }

        return (first.ToArray(), scattered.ToArray(), clustered.ToArray());
    }

    private static byte[] Row(long id, int customer, string product, int quantity, double price, string status, DateTime time) =>
        Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"INSERT INTO orders VALUES ({id}, 'Customer {customer}', 'customer{customer}@example.com', '{product}', {quantity}, {price:F2}, '{status}', '{time:yyyy-MM-dd HH:mm:ss}');\n"));
}
