using BenchmarkDotNet.Attributes;
using Backup.Core.Crypto;
using Backup.Core.Pipeline;
using Backup.Core.Repository;
using Backup.Core.Snapshots;
using Backup.Core.Sources;
using Backup.Core.Storage;
using Backup.Core.Transforms;
using Backup.Core;
using Backup.Core.Content;

namespace Backup.Benchmarks;

/// <summary>
/// The whole store path: BackupService over a 256 MiB StreamSource into a fresh repository (chunk, hash, zstd-3,
/// AES-GCM, packs, index, snapshot), and ContentReader restoring it; beside zstd-3 alone over the same bytes cut
/// into 1 MiB blocks, on one thread and on every core. Target: the backup within 1.3x of zstd on the same data.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 2, iterationCount: 5)]
public class StorePathBenchmarks
{
    private const int Size = 256 * TestData.MiB;
    private const int Block = TestData.MiB;
    private readonly byte[] _keyFile = TestData.RandomBytes(64, 17);
    private readonly ZstdTransform _zstd = new(3);
    private byte[] _data = [];
    private BackupRepository? _repository;
    private BackupRepository? _restoreRepository;
    private TreeNode _restoreNode = null!;
    private readonly List<string> _directories = [];

    /// <summary>The input.</summary>
    [Params(DataKind.Mixed, DataKind.Sdk)]
    public DataKind Data { get; set; }

    /// <summary>Builds the input and a repository holding it, for restores.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _data = TestData.Get(Data, Size);
        _restoreRepository = CreateRepository(local: false);
        var result = new BackupService(_restoreRepository).BackupAsync(Source(), new BackupOptions { Level = BackupLevel.Full }).GetAwaiter().GetResult();
        _restoreNode = _restoreRepository.Snapshots.LoadTreeAsync(result.Snapshot.Tree).GetAwaiter().GetResult().Nodes.Single();
        var stats = result.Snapshot.Statistics;
        Console.WriteLine($"// {Data}: {stats.BytesAdded} bytes in {stats.BlobsAdded} blobs stored as {stats.BytesStored} bytes (ratio {(double)stats.BytesAdded / stats.BytesStored:F2})");
    }

    /// <summary>Releases the repositories and the temporary directory.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _restoreRepository?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _zstd.Dispose();
        DeleteDirectories();
    }

    /// <summary>A fresh, empty repository for each backup iteration, so nothing deduplicates against a previous one.</summary>
    [IterationSetup(Target = nameof(Backup))]
    public void CreateEmptyRepository() => _repository = CreateRepository(local: false);

    /// <summary>A fresh, empty repository in a temporary directory for each local backup iteration.</summary>
    [IterationSetup(Target = nameof(BackupLocal))]
    public void CreateEmptyLocalRepository() => _repository = CreateRepository(local: true);

    /// <summary>Closes the iteration's repository and deletes its directory.</summary>
    [IterationCleanup(Targets = [nameof(Backup), nameof(BackupLocal)])]
    public void CloseRepository()
    {
        _repository?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _repository = null;
        DeleteDirectories();
    }

    /// <summary>Backs up 256 MiB into an empty in-memory repository.</summary>
    [Benchmark]
    [BytesPerOperation(Size)]
    public Task<long> Backup() => BackupAsync();

    /// <summary>Backs up 256 MiB into an empty repository in a temporary local directory (each object written, fsynced and renamed).</summary>
    [Benchmark]
    [BytesPerOperation(Size)]
    public Task<long> BackupLocal() => BackupAsync();

    /// <summary>Restores the 256 MiB (fetch, decrypt, decompress, verify) to a null stream.</summary>
    [Benchmark]
    [BytesPerOperation(Size)]
    public async Task Restore() => await new ContentReader(_restoreRepository!.Blobs).CopyToAsync(_restoreNode, Stream.Null);

    /// <summary>zstd-3 over the same bytes in 1 MiB blocks, one thread.</summary>
    [Benchmark]
    [BytesPerOperation(Size)]
    public long Zstd3OneCore()
    {
        using var output = new Backup.Core.Buffers.PooledBufferWriter(2 * Block);
        long total = 0;
        for (var offset = 0; offset < Size; offset += Block)
        {
            output.Reset();
            _zstd.TryEncode(_data.AsSpan(offset, Block), output, default);
            total += output.WrittenCount;
        }

        return total;
    }

    /// <summary>zstd-3 over the same bytes in 1 MiB blocks on every core (the pipeline's ceiling).</summary>
    [Benchmark(Baseline = true)]
    [BytesPerOperation(Size)]
    public long Zstd3AllCores()
    {
        long total = 0;
        Parallel.For(0, Size / Block, () => new Backup.Core.Buffers.PooledBufferWriter(2 * Block), (i, _, output) =>
        {
            output.Reset();
            _zstd.TryEncode(_data.AsSpan(i * Block, Block), output, default);
            Interlocked.Add(ref total, output.WrittenCount);
            return output;
        }, output => output.Dispose());
        return total;
    }

    private async Task<long> BackupAsync()
    {
        var result = await new BackupService(_repository!).BackupAsync(Source(), new BackupOptions { Level = BackupLevel.Full });
        return result.Snapshot.Statistics.BytesStored;
    }

    private StreamSource Source() => StreamSource.FromStream("data.bin", new MemoryStream(_data, writable: false));

    private BackupRepository CreateRepository(bool local)
    {
        IBackupTarget target = new InMemoryTarget();
        if (local)
        {
            var directory = Path.Combine(Path.GetTempPath(), "backup-bench-" + Guid.NewGuid().ToString("N"));
            _directories.Add(directory);
            target = new LocalDirectoryTarget(directory);
        }

        return BackupRepository.InitAsync(target, RepositoryCredentials.FromKeyFile(_keyFile)).GetAwaiter().GetResult();
    }

    private void DeleteDirectories()
    {
        foreach (var directory in _directories.Where(Directory.Exists))
        {
            Directory.Delete(directory, recursive: true);
        }

        _directories.Clear();
    }
}
