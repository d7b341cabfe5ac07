using BenchmarkDotNet.Attributes;
using Backup.Core.Buffers;
using Backup.Core.Repository;
using Backup.Core.Transforms;

namespace Backup.Benchmarks;

/// <summary>
/// What the writer does per new 1 MiB blob when compression does not apply: the keyed ID, then encryption.
/// Target: at least 1 GB/s on one core. Also through the <see cref="TransformChain"/> envelope, and with zstd-3
/// first on incompressible data (which the writer tries, and zstd declines).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 2, iterationCount: 5)]
public class HashEncryptBenchmarks
{
    private const int Size = TestData.MiB;
    private readonly AesGcmTransform _aes = new(TestData.Secret);
    private readonly ZstdTransform _zstd = new(3);
    private readonly PooledBufferWriter _output = new(Size + 1024);
    private TransformChain _encryptOnly = null!;
    private TransformChain _zstdThenEncrypt = null!;
    private byte[] _plain = [];

    /// <summary>Builds the blob and the chains.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _plain = TestData.RandomBytes(Size, 13);
        _encryptOnly = new TransformChain([_aes]);
        _zstdThenEncrypt = new TransformChain([_zstd, _aes]);
    }

    /// <summary>Releases keys and buffers.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _aes.Dispose();
        _zstd.Dispose();
        _output.Dispose();
    }

    /// <summary>HMAC-SHA256 ID, then AES-256-GCM with the ID as associated data.</summary>
    [Benchmark(Baseline = true)]
    [BytesPerOperation(Size)]
    public int HashThenEncrypt()
    {
        Span<byte> aad = stackalloc byte[BlobId.Size];
        BlobId.Compute(TestData.Secret, _plain).WriteTo(aad);
        _output.Reset();
        _aes.TryEncode(_plain, _output, new TransformContext(aad.ToArray(), int.MaxValue));
        return _output.WrittenCount;
    }

    /// <summary>The same through a TransformChain envelope (encryption only).</summary>
    [Benchmark]
    [BytesPerOperation(Size)]
    public int HashThenChainEncrypt()
    {
        Span<byte> aad = stackalloc byte[BlobId.Size];
        BlobId.Compute(TestData.Secret, _plain).WriteTo(aad);
        _output.Reset();
        _encryptOnly.EncodeTo(_plain, aad, _output);
        return _output.WrittenCount;
    }

    /// <summary>The repository's chain (zstd-3, then AES) on incompressible data: zstd tries and declines.</summary>
    [Benchmark]
    [BytesPerOperation(Size)]
    public int HashThenChainZstdEncrypt()
    {
        Span<byte> aad = stackalloc byte[BlobId.Size];
        BlobId.Compute(TestData.Secret, _plain).WriteTo(aad);
        _output.Reset();
        _zstdThenEncrypt.EncodeTo(_plain, aad, _output);
        return _output.WrittenCount;
    }
}
