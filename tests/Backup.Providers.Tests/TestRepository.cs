using Backup.Core.Crypto;
using Backup.Core.Pipeline;
using Backup.Core.Repository;
using Backup.Core.Storage;
using Backup.Core;

namespace Backup.Providers.Tests;

/// <summary>An in-memory repository opened with a fresh key file.</summary>
internal sealed class TestRepository : IAsyncDisposable
{
    private TestRepository(InMemoryTarget target, BackupRepository repository)
    {
        Target = target;
        Repository = repository;
    }

    public InMemoryTarget Target { get; }

    public BackupRepository Repository { get; }

    public BackupService Service => new(Repository);

    public static async Task<TestRepository> CreateAsync()
    {
        var target = new InMemoryTarget();
        var repository = await BackupRepository.InitAsync(target, RepositoryCredentials.FromKeyFile(RepositoryCredentials.GenerateKeyFile()));
        return new TestRepository(target, repository);
    }

    public async Task<int> CountSnapshotsAsync()
    {
        var count = 0;
        await foreach (var _ in Repository.Snapshots.ListAsync())
        {
            count++;
        }

        return count;
    }

    public ValueTask DisposeAsync() => Repository.DisposeAsync();
}
