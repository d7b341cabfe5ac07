using Backup.Core.Repository;
using Backup.Core.Repository.Blobs;
using Backup.Core.Repository.Locks;
using Backup.Core.Storage;
using Backup.Core.Tests.Support;

namespace Backup.Core.Tests;

/// <summary>
/// <see cref="BackupRepository.BeginOperationAsync(LockKind, string, CancellationToken)"/>: one call takes the lock and
/// brings the index up to date under it; disposing releases the lock; a conflict says who holds the repository.
/// </summary>
public class RepositoryOperationTests
{
    [Fact]
    public async Task An_operation_holds_the_lock_sees_what_others_stored_meanwhile_and_releases_the_lock()
    {
        var target = new InMemoryTarget();
        var credentials = TestRepository.NewKeyFile();
        await using var first = await TestRepository.InitAsync(target, credentials);
        await using var second = await BackupRepository.OpenAsync(target, credentials);

        // Stored through the second instance after the first loaded its index.
        BlobId stored;
        await using (var writer = second.CreateWriter(1))
        {
            stored = await writer.AddBlobAsync("written elsewhere"u8.ToArray(), BlobType.Data);
            await writer.CompleteAsync();
        }

        first.Blobs.Index.Contains(stored).Should().BeFalse();
        await using (var operation = await first.BeginOperationAsync(LockKind.Shared, "test"))
        {
            operation.IsExclusive.Should().BeFalse();
            first.Blobs.Index.Contains(stored).Should().BeTrue("the operation refreshed the index under its lock");
            (await RepositoryLock.ReadLocksAsync(first.Locks).ToListAsync()).Should().ContainSingle(l => l.Lock.Purpose == "test");
        }

        (await RepositoryLock.ReadLocksAsync(first.Locks).ToListAsync()).Should().BeEmpty();
    }

    [Fact]
    public async Task An_exclusive_operation_is_refused_while_another_holds_the_repository_and_the_error_names_the_holder()
    {
        var target = new InMemoryTarget();
        var credentials = TestRepository.NewKeyFile();
        await using var first = await TestRepository.InitAsync(target, credentials);
        await using var second = await BackupRepository.OpenAsync(target, credentials);
        await using var held = await first.BeginOperationAsync(LockKind.Shared, "backup");

        var act = () => second.BeginOperationAsync(LockKind.Exclusive, "prune");

        var refused = (await act.Should().ThrowAsync<RepositoryLockedException>()).Which;
        refused.Purpose.Should().Be("backup");
        refused.Hostname.Should().Be(Environment.MachineName);
        refused.ProcessId.Should().Be(Environment.ProcessId);
        refused.IsExclusive.Should().BeFalse();
        refused.LockKey.Should().StartWith("locks/");
        (await RepositoryLock.ReadLocksAsync(second.Locks).ToListAsync()).Should().ContainSingle("the refused operation removed its own lock");
    }

    [Fact]
    public async Task Library_errors_carry_typed_data_and_no_command_line_advice()
    {
        var target = new InMemoryTarget();
        var missing = (await FluentActions.Awaiting(() => BackupRepository.OpenAsync(target, TestRepository.NewKeyFile()))
            .Should().ThrowAsync<RepositoryNotFoundException>()).Which;
        missing.Location.Should().Be(target.Description);
        missing.Message.Should().NotContain("backup ");

        await using var repository = await TestRepository.InitAsync(target, TestRepository.NewKeyFile());
        var noSnapshot = (await FluentActions.Awaiting(() => repository.Snapshots.FindAsync("abcd"))
            .Should().ThrowAsync<SnapshotNotFoundException>()).Which;
        noSnapshot.IdOrPrefix.Should().Be("abcd");
        noSnapshot.Message.Should().NotContain("'backup");

        var notIndexed = (await FluentActions.Awaiting(() => repository.Blobs.ReadBlobAsync(repository.Blobs.ComputeId("x"u8)))
            .Should().ThrowAsync<RepositoryCorruptException>()).Which;
        notIndexed.Remedy.Should().Be(RepositoryRemedy.Check);
        notIndexed.BlobId.Should().Be(repository.Blobs.ComputeId("x"u8));
        notIndexed.Message.Should().NotContain("'backup");
    }
}
