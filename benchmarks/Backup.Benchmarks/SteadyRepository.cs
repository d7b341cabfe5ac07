using Backup.Core.Crypto;
using Backup.Core.Pipeline;
using Backup.Core.Repository;
using Backup.Core.Snapshots;
using Backup.Core.Sources;
using Backup.Core.Storage;
using Backup.Core;

namespace Backup.Benchmarks;

/// <summary>
/// A repository kept open across benchmark rounds, over a target that drops pack contents: the store path is
/// measured without the cost of a benchmark-only in-memory copy of every pack, or of a fresh repository's cold buffers.
/// </summary>
internal sealed class SteadyRepository : IAsyncDisposable
{
    private readonly BackupRepository _repository;

    private SteadyRepository(BackupRepository repository) => _repository = repository;

    public static async Task<SteadyRepository> CreateAsync(byte[] keyFile, string compression)
    {
        var target = new PackDroppingTarget(new InMemoryTarget());
        var repository = await BackupRepository.InitAsync(target, RepositoryCredentials.FromKeyFile(keyFile), new RepositoryInitOptions { Compression = compression });
        return new SteadyRepository(repository);
    }

    public Task BackupAsync(byte[] data) =>
        new BackupService(_repository).BackupAsync(StreamSource.FromStream("data.bin", new MemoryStream(data, writable: false)), new BackupOptions { Level = BackupLevel.Full });

    public ValueTask DisposeAsync() => _repository.DisposeAsync();

    /// <summary>Accepts packs without keeping them (a backup never reads its packs back); keeps everything else.</summary>
    private sealed class PackDroppingTarget(IBackupTarget inner) : DelegatingTarget(inner)
    {
        public override Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default) =>
            key.StartsWith(RepositoryLayout.DataPrefix, StringComparison.Ordinal) ? Task.CompletedTask : base.PutAsync(key, content, cancellationToken);
    }
}
