using BenchmarkDotNet.Attributes;
using Backup.Core.Buffers;
using Backup.Core.Transforms;

namespace Backup.Benchmarks;

/// <summary>AES-256-GCM (per-object subkey, random salt and nonce) on one 1 MiB blob.</summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 2, iterationCount: 5)]
public class EncryptionBenchmarks
{
    private const int Size = TestData.MiB;
    private readonly AesGcmTransform _aes = new(TestData.Secret);
    private readonly PooledBufferWriter _output = new(Size + 1024);
    private readonly byte[] _aad = new byte[32];
    private byte[] _plain = [];
    private byte[] _encrypted = [];

    /// <summary>Builds the blob and its encryption.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _plain = TestData.RandomBytes(Size, 11);
        _aes.TryEncode(_plain, _output, new TransformContext(_aad, int.MaxValue));
        _encrypted = _output.WrittenSpan.ToArray();
    }

    /// <summary>Releases the key and buffer.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _aes.Dispose();
        _output.Dispose();
    }

    /// <summary>Encrypts 1 MiB.</summary>
    [Benchmark]
    [BytesPerOperation(Size)]
    public int Encrypt()
    {
        _output.Reset();
        _aes.TryEncode(_plain, _output, new TransformContext(_aad, int.MaxValue));
        return _output.WrittenCount;
    }

    /// <summary>Decrypts and authenticates 1 MiB.</summary>
    [Benchmark]
    [BytesPerOperation(Size)]
    public int Decrypt()
    {
        _output.Reset();
        _aes.Decode(_encrypted, _output, new TransformContext(_aad, Size));
        return _output.WrittenCount;
    }
}
