using Backup.Core.Repository;
using Backup.Core.Repository.Locks;
using Backup.Core.Retention;
using Backup.Core.Snapshots;
using Backup.Core.Storage;
using Backup.Core.Tests.Support;

namespace Backup.Core.Tests;

public class PinnedSnapshotTests
{
    [Fact]
    public async Task Pinning_replaces_the_snapshot_object_with_a_pinned_copy_and_unpinning_reverses_it()
    {
        await using var repository = await TestRepository.InitAsync(new InMemoryTarget(), TestRepository.NewKeyFile());
        var original = (await TestRepository.BackupBytesAsync(repository, "a.bin", [1, 2, 3])).Snapshot;

        var pinned = await repository.Snapshots.SetPinnedAsync(original.Id, pinned: true);

        pinned.Pinned.Should().BeTrue();
        pinned.Id.Should().NotBe(original.Id, "a snapshot object is immutable and named by its bytes");
        pinned.Should().BeEquivalentTo(original, o => o.Excluding(s => s.Id).Excluding(s => s.Pinned), "only the flag changes");
        var listed = await repository.Snapshots.ListAsync().ToListAsync();
        listed.Should().ContainSingle().Which.Should().Match<Snapshot>(s => s.Id == pinned.Id && s.Pinned, "the old object is gone");

        var unpinned = await repository.Snapshots.SetPinnedAsync(pinned.Id, pinned: false);
        unpinned.Pinned.Should().BeFalse();
        (await repository.Snapshots.ListAsync().ToListAsync()).Should().ContainSingle().Which.Id.Should().Be(unpinned.Id);
        (await RepositoryLock.ReadLocksAsync(repository.Locks).ToListAsync()).Should().BeEmpty("the exclusive lock is released");
    }

    [Fact]
    public async Task Pinning_a_pinned_snapshot_changes_nothing()
    {
        await using var repository = await TestRepository.InitAsync(new InMemoryTarget(), TestRepository.NewKeyFile());
        var original = (await TestRepository.BackupBytesAsync(repository, "a.bin", [1])).Snapshot;
        var pinned = await repository.Snapshots.SetPinnedAsync(original.Id, pinned: true);

        var again = await repository.Snapshots.SetPinnedAsync(pinned.Id, pinned: true);

        again.Id.Should().Be(pinned.Id);
        (await repository.Snapshots.ListAsync().ToListAsync()).Should().ContainSingle();
    }

    [Fact]
    public async Task A_pinned_snapshot_survives_forget()
    {
        await using var repository = await TestRepository.InitAsync(new InMemoryTarget(), TestRepository.NewKeyFile());
        var first = (await TestRepository.BackupBytesAsync(repository, "a.bin", [1])).Snapshot;
        await TestRepository.BackupBytesAsync(repository, "a.bin", [2]);
        var pinned = await repository.Snapshots.SetPinnedAsync(first.Id, pinned: true);

        var result = await new RetentionService(repository).ApplyAsync(new RetentionPolicy { KeepLast = 1, GroupBy = SnapshotGrouping.None }, dryRun: false);

        result.Deleted.Should().Be(0);
        (await repository.Snapshots.ListAsync().ToListAsync()).Select(s => s.Id).Should().Contain(pinned.Id);
    }

    [Fact]
    public async Task Pinning_needs_the_exclusive_lock_and_a_snapshot_that_exists()
    {
        var target = new InMemoryTarget();
        var credentials = TestRepository.NewKeyFile();
        await using var repository = await TestRepository.InitAsync(target, credentials);
        var original = (await TestRepository.BackupBytesAsync(repository, "a.bin", [1])).Snapshot;
        await using var other = await BackupRepository.OpenAsync(target, credentials);

        await using (await other.BeginOperationAsync(LockKind.Shared, "backup"))
        {
            var locked = () => repository.Snapshots.SetPinnedAsync(original.Id, pinned: true);
            (await locked.Should().ThrowAsync<RepositoryLockedException>()).Which.Purpose.Should().Be("backup");
        }

        (await repository.Snapshots.ListAsync().ToListAsync()).Should().ContainSingle().Which.Pinned.Should().BeFalse("nothing changed while locked out");

        await repository.Snapshots.DeleteAsync(original.Id);
        var gone = () => repository.Snapshots.SetPinnedAsync(original.Id, pinned: true);
        await gone.Should().ThrowAsync<SnapshotNotFoundException>();
    }
}
