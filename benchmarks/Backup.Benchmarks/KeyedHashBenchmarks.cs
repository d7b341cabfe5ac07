using BenchmarkDotNet.Attributes;
using Backup.Core.Repository;

namespace Backup.Benchmarks;

/// <summary>The keyed blob ID (HMAC-SHA256) of one 1 MiB chunk, beside plain SHA-256 for reference.</summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 2, iterationCount: 5)]
public class KeyedHashBenchmarks
{
    private const int Size = TestData.MiB;
    private byte[] _chunk = [];

    /// <summary>Builds the chunk.</summary>
    [GlobalSetup]
    public void Setup() => _chunk = TestData.RandomBytes(Size, 7);

    /// <summary>BlobId.Compute: HMAC-SHA256 under the ID key.</summary>
    [Benchmark(Baseline = true)]
    [BytesPerOperation(Size)]
    public BlobId BlobIdCompute() => BlobId.Compute(TestData.Secret, _chunk);

    /// <summary>Unkeyed SHA-256, the lower bound.</summary>
    [Benchmark]
    [BytesPerOperation(Size)]
    public BlobId Sha256() => BlobId.Sha256(_chunk);
}
