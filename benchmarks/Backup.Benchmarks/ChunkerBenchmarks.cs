using BenchmarkDotNet.Attributes;
using Backup.Core.Chunking;

namespace Backup.Benchmarks;

/// <summary>FastCDC boundary search over 64 MiB (default 512 KiB / 1 MiB / 8 MiB limits). Target: at least 1 GB/s.</summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 2, iterationCount: 5)]
public class ChunkerBenchmarks
{
    private const int Size = 64 * TestData.MiB;
    private byte[] _data = [];
    private FastCdcChunker _chunker = null!;

    /// <summary>The input.</summary>
    [Params(DataKind.Mixed, DataKind.Sdk)]
    public DataKind Data { get; set; }

    /// <summary>Builds the input and the chunker.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _data = TestData.Get(Data, Size);
        _chunker = new FastCdcChunker(TestData.Secret);
    }

    /// <summary>Cuts 64 MiB into chunks; returns the number of chunks.</summary>
    [Benchmark]
    [BytesPerOperation(Size)]
    public int Chunk64MiB()
    {
        ReadOnlySpan<byte> rest = _data;
        var chunks = 0;
        while (!rest.IsEmpty)
        {
            rest = rest[_chunker.NextBoundary(rest)..];
            chunks++;
        }

        return chunks;
    }
}
