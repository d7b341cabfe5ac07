using System.IO.Compression;
using BenchmarkDotNet.Attributes;
using Backup.Core.Buffers;
using Backup.Core.Transforms;

namespace Backup.Benchmarks;

/// <summary>Compression transforms on compressible data, 8 MiB per operation as eight 1 MiB blobs (the unit the writer compresses), one thread.</summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 2, iterationCount: 5)]
public class CompressionBenchmarks
{
    private const int Blob = TestData.MiB;
    private const int Size = 8 * Blob;
    private byte[] _data = [];
    private byte[][] _zstd3Encoded = [];
    private readonly PooledBufferWriter _output = new(2 * Blob);
    private readonly ZstdTransform _zstd1 = new(1);
    private readonly ZstdTransform _zstd3 = new(3);
    private readonly ZstdTransform _zstd6 = new(6);
    private readonly GzipTransform _gzipFastest = new(CompressionLevel.Fastest);
    private readonly GzipTransform _gzipOptimal = new(CompressionLevel.Optimal);

    /// <summary>The input.</summary>
    [Params(DataKind.Text, DataKind.Sdk)]
    public DataKind Data { get; set; }

    /// <summary>Builds the input, and its zstd-3 encoding for the decode benchmark.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _data = TestData.Get(Data, Size);
        _zstd3Encoded = new byte[Size / Blob][];
        long stored = 0;
        for (var i = 0; i < _zstd3Encoded.Length; i++)
        {
            _output.Reset();
            if (!_zstd3.TryEncode(_data.AsSpan(i * Blob, Blob), _output, default))
            {
                throw new InvalidOperationException("The benchmark data is not compressible.");
            }

            _zstd3Encoded[i] = _output.WrittenSpan.ToArray();
            stored += _zstd3Encoded[i].Length;
        }

        Console.WriteLine($"// zstd-3 ratio on {Data}: {(double)Size / stored:F2}");
    }

    /// <summary>Releases the transforms.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _output.Dispose();
        _zstd1.Dispose();
        _zstd3.Dispose();
        _zstd6.Dispose();
    }

    /// <summary>zstd level 1.</summary>
    [Benchmark]
    [BytesPerOperation(Size)]
    public long Zstd1() => Encode(_zstd1);

    /// <summary>zstd level 3 (the repository default).</summary>
    [Benchmark(Baseline = true)]
    [BytesPerOperation(Size)]
    public long Zstd3() => Encode(_zstd3);

    /// <summary>zstd level 6.</summary>
    [Benchmark]
    [BytesPerOperation(Size)]
    public long Zstd6() => Encode(_zstd6);

    /// <summary>gzip, CompressionLevel.Fastest.</summary>
    [Benchmark]
    [BytesPerOperation(Size)]
    public long GzipFastest() => Encode(_gzipFastest);

    /// <summary>gzip, CompressionLevel.Optimal.</summary>
    [Benchmark]
    [BytesPerOperation(Size)]
    public long GzipOptimal() => Encode(_gzipOptimal);

    /// <summary>zstd decoding (level-3 frames); throughput counts decoded bytes.</summary>
    [Benchmark]
    [BytesPerOperation(Size)]
    public long Zstd3Decode()
    {
        long total = 0;
        foreach (var frame in _zstd3Encoded)
        {
            _output.Reset();
            _zstd3.Decode(frame, _output, new TransformContext(ReadOnlyMemory<byte>.Empty, Blob));
            total += _output.WrittenCount;
        }

        return total;
    }

    private long Encode(IStreamTransform transform)
    {
        long total = 0;
        for (var offset = 0; offset < Size; offset += Blob)
        {
            _output.Reset();
            transform.TryEncode(_data.AsSpan(offset, Blob), _output, default);
            total += _output.WrittenCount;
        }

        return total;
    }
}
