using Backup.Core.Repository;
using Backup.Core.Storage;
using Backup.Core.Tests.Support;

namespace Backup.Core.Tests;

/// <summary>Decorators forward the inner target's capabilities, and dispose it only when they own it.</summary>
public sealed class DecoratorTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Every_decorator_forwards_staging_and_a_target_without_it_stays_without()
    {
        var local = new LocalDirectoryTarget(_directory.Path);
        IBackupTarget[] decorated = [new RetryingTarget(local), new CountingTarget(local), new FaultInjectingTarget(local), new RetryingTarget(new CountingTarget(local))];
        foreach (var target in decorated)
        {
            target.Should().NotBeAssignableTo<IStagingTarget>("a decorator is not itself a staging target");
            target.GetCapability<IStagingTarget>().Should().NotBeNull("{0} wraps a local directory, which stages", target.GetType().Name);
        }

        new RetryingTarget(new InMemoryTarget()).GetCapability<IStagingTarget>().Should().BeNull();
        ((IBackupTarget)local).GetCapability<IStagingTarget>().Should().BeSameAs(local);
    }

    [Fact]
    public async Task A_repository_on_a_retrying_local_target_stages_its_packs_on_disk_through_the_decorator()
    {
        // What hosting builds by default: a RetryingTarget around the local directory.
        var spy = new StagingSpy(new LocalDirectoryTarget(_directory.Path));
        var counting = new CountingTarget(spy);
        var credentials = TestRepository.NewKeyFile();
        await using (var repository = await TestRepository.InitAsync(new RetryingTarget(counting), credentials))
        {
            await TestRepository.BackupBytesAsync(repository, "data.bin", TestRepository.RandomBytes(3 * 1024 * 1024, seed: 5));
        }

        spy.StagedDataCommits.Should().BeGreaterThan(0, "packs are spooled to the target's temporary files, not held in memory");
        spy.DataPuts.Should().Be(0, "no pack went through a whole-object put from memory");
        counting.Puts.Should().BeGreaterThanOrEqualTo(spy.StagedDataCommits, "a commit through a decorator is still seen by it");

        await using var reopened = await BackupRepository.OpenAsync(new LocalDirectoryTarget(_directory.Path), credentials);
        (await TestRepository.ReadAllSnapshotsAsync(reopened)).Should().ContainSingle();
    }

    [Fact]
    public async Task A_fault_planned_for_a_put_fails_a_staged_commit_too()
    {
        var faulty = new FaultInjectingTarget(new LocalDirectoryTarget(_directory.Path)).FailCall(TargetOperation.Put, 1, transient: false);
        var staging = faulty.GetCapability<IStagingTarget>()!;
        await using var staged = await staging.BeginObjectAsync();
        await staged.AppendAsync(new byte[] { 1, 2, 3 });

        await FluentActions.Awaiting(() => staged.CommitAsync("data/ab/x")).Should().ThrowAsync<BackupTargetException>();
        (await faulty.StatAsync("data/ab/x")).Should().BeNull();
        faulty.CountOf(TargetOperation.Put).Should().Be(1);
    }

    [Fact]
    public async Task A_decorator_leaves_its_inner_target_open_unless_it_owns_it()
    {
        var leftOpen = new DisposableTarget();
        await using (new RetryingTarget(leftOpen))
        {
        }

        leftOpen.Disposals.Should().Be(0);

        var owned = new DisposableTarget();
        var owner = new CountingTarget(owned, ownsInner: true);
        await owner.DisposeAsync();
        await owner.DisposeAsync();
        owned.Disposals.Should().Be(1, "an owned inner target is disposed once, however often its owner is");

        var chain = new DisposableTarget();
        await new RetryingTarget(new FaultInjectingTarget(chain, ownsInner: true), ownsInner: true).DisposeAsync();
        chain.Disposals.Should().Be(1, "ownership passes down a chain of decorators");
    }

    [Fact]
    public async Task A_repository_does_not_dispose_the_target_it_was_opened_on()
    {
        var target = new DisposableTarget();
        await using (var repository = await TestRepository.InitAsync(target, TestRepository.NewKeyFile()))
        {
        }

        target.Disposals.Should().Be(0, "whoever created the target disposes it");
        (await target.StatAsync(RepositoryLayout.Config)).Should().NotBeNull("the target is still usable after the repository is gone");
    }

    /// <summary>Counts staged commits and whole puts of pack objects on the way to the real target.</summary>
    private sealed class StagingSpy(IBackupTarget inner) : DelegatingTarget(inner)
    {
        private int _stagedDataCommits;
        private int _dataPuts;

        public int StagedDataCommits => Volatile.Read(ref _stagedDataCommits);

        public int DataPuts => Volatile.Read(ref _dataPuts);

        public override Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
        {
            if (key.StartsWith(RepositoryLayout.DataPrefix, StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _dataPuts);
            }

            return base.PutAsync(key, content, cancellationToken);
        }

        protected override Task CommitStagedAsync(string key, IStagedObject staged, CancellationToken cancellationToken)
        {
            if (key.StartsWith(RepositoryLayout.DataPrefix, StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _stagedDataCommits);
            }

            return base.CommitStagedAsync(key, staged, cancellationToken);
        }
    }

    /// <summary>An in-memory target that counts how often it is disposed.</summary>
    private sealed class DisposableTarget : IBackupTarget, IAsyncDisposable
    {
        private readonly InMemoryTarget _inner = new();

        public int Disposals { get; private set; }

        public string Description => _inner.Description;

        public Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default) => _inner.PutAsync(key, content, cancellationToken);

        public ValueTask<int> ReadAsync(string key, long offset, Memory<byte> destination, CancellationToken cancellationToken = default) => _inner.ReadAsync(key, offset, destination, cancellationToken);

        public IAsyncEnumerable<BackupObjectInfo> ListAsync(string prefix, CancellationToken cancellationToken = default) => _inner.ListAsync(prefix, cancellationToken);

        public Task DeleteAsync(string key, CancellationToken cancellationToken = default) => _inner.DeleteAsync(key, cancellationToken);

        public Task<BackupObjectInfo?> StatAsync(string key, CancellationToken cancellationToken = default) => _inner.StatAsync(key, cancellationToken);

        public ValueTask DisposeAsync()
        {
            Disposals++;
            return ValueTask.CompletedTask;
        }
    }
}
