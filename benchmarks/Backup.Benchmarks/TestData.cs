using System.Text;

namespace Backup.Benchmarks;

/// <summary>The kinds of input the benchmarks run on.</summary>
public enum DataKind
{
    /// <summary>Incompressible random bytes (already-compressed media, archives, encrypted files).</summary>
    Random,

    /// <summary>Text-like, compressible bytes: log lines and CSV-like rows.</summary>
    Text,

    /// <summary>Alternating runs of 1 to 4 MiB of random and text-like data.</summary>
    Mixed,

    /// <summary>Files of the .NET SDK folder concatenated: the corpus ../shared/bench/compare.sh backs up.</summary>
    Sdk,
}

/// <summary>Deterministic test data: the same bytes on every run and every machine (except the SDK corpus, which is what is installed).</summary>
public static class TestData
{
    /// <summary>One mebibyte.</summary>
    public const int MiB = 1 << 20;

    /// <summary>A fixed 32-byte secret for chunkers and keyed hashes.</summary>
    public static byte[] Secret { get; } = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];

    private static readonly string[] Words =
    [
        "backup", "restore", "snapshot", "chunk", "index", "pack", "repository", "request", "response", "user",
        "order", "invoice", "customer", "product", "warehouse", "shipment", "payment", "session", "token", "cache",
        "timeout", "retry", "connection", "database", "query", "commit", "rollback", "transaction", "completed", "failed",
        "the", "a", "of", "to", "and", "in", "for", "with", "on", "from",
    ];

    private static readonly string[] Levels = ["INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"];

    /// <summary>The directory of the .NET installation running this process, or BENCH_CORPUS when set.</summary>
    public static string SdkDirectory
    {
        get
        {
            var configured = Environment.GetEnvironmentVariable("BENCH_CORPUS");
            if (!string.IsNullOrEmpty(configured))
            {
                return configured;
            }

            // .../dotnet/shared/Microsoft.NETCore.App/<version>/System.Private.CoreLib.dll
            var runtime = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
            return Path.GetFullPath(Path.Combine(runtime, "..", "..", ".."));
        }
    }

    /// <summary>Data of <paramref name="kind"/>, <paramref name="length"/> bytes.</summary>
    public static byte[] Get(DataKind kind, int length, int seed = 1) => kind switch
    {
        DataKind.Random => RandomBytes(length, seed),
        DataKind.Text => Text(length, seed),
        DataKind.Mixed => Mixed(length, seed),
        DataKind.Sdk => SdkCorpus(length),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Seeded random bytes.</summary>
    public static byte[] RandomBytes(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    /// <summary>Log-like text (timestamps, levels, words, numbers, hex IDs): compresses about 3-5x with zstd.</summary>
    public static byte[] Text(int length, int seed)
    {
        var random = new Random(seed);
        var data = new byte[length];
        var position = 0;
        var time = new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var line = new StringBuilder(256);
        while (position < length)
        {
            time = time.AddMilliseconds(random.Next(1, 2000));
            line.Clear();
            line.Append(time.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture))
                .Append(' ').Append(Levels[random.Next(Levels.Length)])
                .Append(" [worker-").Append(random.Next(16)).Append("] ");
            var words = random.Next(4, 16);
            for (var w = 0; w < words; w++)
            {
                line.Append(Words[random.Next(Words.Length)]).Append(' ');
            }

            line.Append("id=").Append(random.Next(1_000_000)).Append(" trace=").Append(random.NextInt64().ToString("x16", System.Globalization.CultureInfo.InvariantCulture))
                .Append(" elapsed=").Append(random.Next(1, 5000)).Append("ms\n");
            var bytes = Encoding.ASCII.GetBytes(line.ToString());
            var take = Math.Min(bytes.Length, length - position);
            bytes.AsSpan(0, take).CopyTo(data.AsSpan(position));
            position += take;
        }

        return data;
    }

    /// <summary>Alternating runs (1 to 4 MiB) of random and text-like bytes.</summary>
    public static byte[] Mixed(int length, int seed)
    {
        var random = new Random(seed);
        var data = new byte[length];
        var position = 0;
        var text = true;
        while (position < length)
        {
            var run = Math.Min(random.Next(MiB, 4 * MiB), length - position);
            var part = text ? Text(run, random.Next()) : RandomBytes(run, random.Next());
            part.CopyTo(data, position);
            position += run;
            text = !text;
        }

        return data;
    }

    /// <summary>The SDK corpus files in a stable (ordinal path) order.</summary>
    public static IReadOnlyList<string> SdkFiles(string? directory = null) =>
        [.. Directory.EnumerateFiles(directory ?? SdkDirectory, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint })
            .Order(StringComparer.Ordinal)];

    /// <summary>The SDK corpus files concatenated up to <paramref name="length"/> bytes (repeated if the corpus is smaller).</summary>
    public static byte[] SdkCorpus(int length)
    {
        var data = new byte[length];
        var position = 0;
        var files = SdkFiles();
        while (position < length)
        {
            foreach (var file in files)
            {
                var bytes = File.ReadAllBytes(file);
                var take = Math.Min(bytes.Length, length - position);
                bytes.AsSpan(0, take).CopyTo(data.AsSpan(position));
                position += take;
                if (position == length)
                {
                    return data;
                }
            }
        }

        return data;
    }
}
