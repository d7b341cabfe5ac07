using Backup.Core.Pipeline;
using Backup.Core.Repository;
using Backup.Core.Snapshots;
using Backup.Core.Sources;
using Backup.Core.Storage;
using Backup.Core.Tests.Support;

namespace Backup.Core.Tests;

/// <summary>A writer that dies part-way (process killed, storage gone) leaves a repository that opens, reads and takes new backups.</summary>
public class InterruptedWriterTests
{
    private const int PackSize = 4 * 1024 * 1024;

    private static async Task<(InMemoryTarget Inner, Crypto.RepositoryCredentials Credentials, byte[] Earlier)> CreateWithOneSnapshotAsync()
    {
        var inner = new InMemoryTarget();
        var credentials = TestRepository.NewKeyFile();
        var earlier = TestRepository.RandomBytes(1024 * 1024, seed: 51);
        await using var repository = await TestRepository.InitAsync(inner, credentials, TestRepository.SmallOptions("none", PackSize));
        await TestRepository.BackupBytesAsync(repository, "earlier.bin", earlier);
        return (inner, credentials, earlier);
    }

    /// <summary>
    /// The storage went away mid-backup (a server killed: every call fails from then on, the lock's delete too). The
    /// error said that the lock could not be deleted, not what failed; the lock left behind is reported instead.
    /// </summary>
    [Fact]
    public async Task When_the_storage_dies_mid_backup_the_error_is_the_failed_write_and_the_lock_left_behind_is_reported()
    {
        var (inner, credentials, _) = await CreateWithOneSnapshotAsync();
        var faulty = new FaultInjectingTarget(inner).DieAfterPuts(3); // the backup's lock object, then two packs
        var notRemoved = new List<string>();

        await using (var dying = await BackupRepository.OpenAsync(faulty, credentials))
        {
            dying.Locking.LockNotRemoved = notRemoved.Add;
            var act = () => TestRepository.BackupBytesAsync(dying, "data.bin", TestRepository.RandomBytes(20 * 1024 * 1024, seed: 53));
            (await act.Should().ThrowAsync<BackupTargetException>()).Which.Message.Should().Contain("the writer died before put #4");
        }

        var lockKey = (await TestRepository.ListAsync(inner, RepositoryLayout.LocksPrefix)).Should().ContainSingle().Subject.Key;
        notRemoved.Should().ContainSingle().Which.Should().Contain($"lock '{lockKey}'").And.Contain("could not be removed")
            .And.Contain("the writer is dead");
    }

    [Fact]
    public async Task After_a_writer_dies_mid_backup_the_repository_opens_reads_and_reuses_the_uploaded_packs()
    {
        var (inner, credentials, earlier) = await CreateWithOneSnapshotAsync();
        var packsBefore = (await TestRepository.ListAsync(inner, RepositoryLayout.DataPrefix)).Count;
        var data = TestRepository.RandomBytes(20 * 1024 * 1024, seed: 52); // incompressible: about 5 packs of 4 MiB
        var faulty = new FaultInjectingTarget(inner).DieAfterPuts(3); // the backup's lock object, then two packs

        await using (var dying = await BackupRepository.OpenAsync(faulty, credentials))
        {
            var act = () => TestRepository.BackupBytesAsync(dying, "data.bin", data);
            await act.Should().ThrowAsync<BackupTargetException>();
        }

        faulty.IsDead.Should().BeTrue();
        (await TestRepository.ListAsync(inner, RepositoryLayout.DataPrefix)).Should().HaveCount(packsBefore + 2, "two packs were uploaded before the writer died");

        await using (var repository = await BackupRepository.OpenAsync(inner, credentials))
        {
            repository.Blobs.UnindexedPacks.Should().HaveCount(2);
            var snapshots = await TestRepository.ReadAllSnapshotsAsync(repository);
            snapshots.Values.Should().ContainSingle().Which.ShouldEqualBytes(earlier);

            var result = await TestRepository.BackupBytesAsync(repository, "data.bin", data);
            var chunks = (await repository.Snapshots.LoadTreeAsync(result.Snapshot.Tree)).Nodes.Single().Content!.Count;
            result.Snapshot.Statistics.BlobsAdded.Should().BeLessThan(chunks, "the blobs in the dead writer's packs are reused");
            (await TestRepository.RestoreAsync(repository, result.Snapshot)).ShouldEqualBytes(data);
            repository.Blobs.UnindexedPacks.Should().BeEmpty("the new writer indexed the packs it found");
        }

        await using var reopened = await BackupRepository.OpenAsync(inner, credentials);
        reopened.Blobs.UnindexedPacks.Should().BeEmpty();
        var all = await TestRepository.ReadAllSnapshotsAsync(reopened);
        all.Should().HaveCount(2);
        all.Values.Count(v => v.AsSpan().SequenceEqual(earlier)).Should().Be(1);
        all.Values.Count(v => v.AsSpan().SequenceEqual(data)).Should().Be(1);
    }

    [Fact]
    public async Task A_torn_pack_upload_fails_the_backup_and_leaves_a_repository_that_opens_and_backs_up_again()
    {
        var (inner, credentials, earlier) = await CreateWithOneSnapshotAsync();
        var data = TestRepository.RandomBytes(12 * 1024 * 1024, seed: 53);
        var faulty = new FaultInjectingTarget(inner).TearPut(3, fraction: 0.5); // put 1 is the backup's lock object

        await using (var tearing = await BackupRepository.OpenAsync(faulty, credentials))
        {
            var act = () => TestRepository.BackupBytesAsync(tearing, "data.bin", data);
            await act.Should().ThrowAsync<BackupTargetException>();
        }

        await using (var repository = await BackupRepository.OpenAsync(inner, credentials))
        {
            repository.Blobs.UnindexedPacks.Should().HaveCount(1, "the whole first pack is reused; the torn one is ignored");
            (await TestRepository.ReadAllSnapshotsAsync(repository)).Values.Should().ContainSingle().Which.ShouldEqualBytes(earlier);
            var result = await TestRepository.BackupBytesAsync(repository, "data.bin", data);
            (await TestRepository.RestoreAsync(repository, result.Snapshot)).ShouldEqualBytes(data);
        }

        await using var reopened = await BackupRepository.OpenAsync(inner, credentials);
        (await TestRepository.ReadAllSnapshotsAsync(reopened)).Should().HaveCount(2);
    }

    [Fact]
    public async Task A_writer_that_dies_on_a_local_directory_leaves_no_visible_partial_object()
    {
        using var directory = new TempDirectory();
        var inner = new LocalDirectoryTarget(directory.Path);
        var credentials = TestRepository.NewKeyFile();
        var data = TestRepository.RandomBytes(10 * 1024 * 1024, seed: 54);
        await (await TestRepository.InitAsync(inner, credentials, TestRepository.SmallOptions("none", PackSize))).DisposeAsync();
        // Put 1 is the backup's lock object, put 2 the first pack; the writer dies before the second.
        await using (var dying = await BackupRepository.OpenAsync(new FaultInjectingTarget(inner).DieAfterPuts(2), credentials))
        {
            var act = () => TestRepository.BackupBytesAsync(dying, "data.bin", data);
            await act.Should().ThrowAsync<BackupTargetException>();
        }

        await using var repository = await BackupRepository.OpenAsync(inner, credentials);
        foreach (var pack in await TestRepository.ListAsync(inner, RepositoryLayout.DataPrefix))
        {
            (await repository.Blobs.ReadPackHeaderAsync(pack)).Should().NotBeEmpty();
        }

        var result = await TestRepository.BackupBytesAsync(repository, "data.bin", data);
        (await TestRepository.RestoreAsync(repository, result.Snapshot)).ShouldEqualBytes(data);
    }

    [Fact]
    public async Task Packs_staged_on_a_local_directory_are_committed_whole_and_a_cancelled_writer_leaves_no_staged_file()
    {
        using var directory = new TempDirectory();
        var target = new LocalDirectoryTarget(directory.Path);
        var credentials = TestRepository.NewKeyFile();
        var data = TestRepository.RandomBytes(24 * 1024 * 1024, seed: 55);
        await using var repository = await TestRepository.InitAsync(target, credentials, TestRepository.SmallOptions("none", PackSize));
        var staged = Path.Combine(directory.Path, ".tmp");

        // A backup cancelled while packs are being staged: whatever was staged is removed, committed packs stay whole.
        using (var cancel = new CancellationTokenSource())
        {
            var backup = new BackupService(repository).BackupAsync(StreamSource.FromStream("data.bin", new ThrottledStream(data, () => cancel.Cancel())), new BackupOptions { Level = BackupLevel.Full }, null, cancel.Token);
            await FluentActions.Awaiting(() => backup).Should().ThrowAsync<OperationCanceledException>();
        }

        Directory.GetFiles(staged).Should().BeEmpty();
        foreach (var pack in await TestRepository.ListAsync(target, RepositoryLayout.DataPrefix))
        {
            (await repository.Blobs.ReadPackHeaderAsync(pack)).Should().NotBeEmpty();
        }

        var result = await TestRepository.BackupBytesAsync(repository, "data.bin", data);
        (await TestRepository.ListAsync(target, RepositoryLayout.DataPrefix)).Should().HaveCountGreaterThan(1);
        Directory.GetFiles(staged).Should().BeEmpty();
        await using var reopened = await BackupRepository.OpenAsync(new LocalDirectoryTarget(directory.Path), credentials);
        (await TestRepository.RestoreAsync(reopened, result.Snapshot)).ShouldEqualBytes(data);
    }

    /// <summary>Gives its bytes out in 1 MiB reads and calls <c>halfway</c> once half of them are read.</summary>
    private sealed class ThrottledStream(byte[] data, Action halfway) : MemoryStream(data, writable: false)
    {
        private bool _signalled;

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (!_signalled && Position >= Length / 2)
            {
                _signalled = true;
                halfway();
            }

            return base.ReadAsync(buffer[..Math.Min(buffer.Length, 1024 * 1024)], cancellationToken);
        }
    }
    /// <summary>
    /// A writer killed mid-object leaves its temporary file in .tmp; the next writer removes such files once they are
    /// old and unlocked, never one a live writer holds, and never opens a FIFO or follows a symlink planted there.
    /// </summary>
    [Fact]
    public async Task Temporary_files_of_killed_writers_are_removed_by_the_next_writer_and_nothing_live_is_touched()
    {
        using var directory = new TempDirectory();
        var credentials = TestRepository.NewKeyFile();
        await using (var repository = await TestRepository.InitAsync(new LocalDirectoryTarget(directory.Path), credentials))
        {
            await TestRepository.BackupBytesAsync(repository, "first.bin", TestRepository.RandomBytes(100_000, seed: 57));
        }

        var temp = System.IO.Path.Combine(directory.Path, ".tmp");
        string Partial() => System.IO.Path.Combine(temp, $"{Guid.NewGuid():N}.partial");
        var abandoned = Partial();
        var live = Partial();
        var recent = Partial();
        var outside = System.IO.Path.Combine(directory.Path, "not-a-temporary-file");
        var link = Partial();
        foreach (var file in new[] { abandoned, live, recent, outside })
        {
            await File.WriteAllBytesAsync(file, new byte[4096]);
        }

        File.CreateSymbolicLink(link, outside);
        foreach (var file in new[] { abandoned, live, outside })
        {
            File.SetLastWriteTimeUtc(file, DateTime.UtcNow - LocalDirectoryTarget.AbandonedAfter - TimeSpan.FromMinutes(5));
        }

        var fifo = Partial();
        if (OperatingSystem.IsLinux())
        {
            using var mkfifo = System.Diagnostics.Process.Start("mkfifo", fifo)!;
            await mkfifo.WaitForExitAsync();
            File.SetLastWriteTimeUtc(fifo, DateTime.UtcNow - LocalDirectoryTarget.AbandonedAfter - TimeSpan.FromMinutes(5));
        }

        await using (new FileStream(live, FileMode.Open, FileAccess.Write, FileShare.None))
        await using (var repository = await BackupRepository.OpenAsync(new LocalDirectoryTarget(directory.Path), credentials))
        {
            // A guard, not a timing: a regression that opened the FIFO would hang the run instead of failing.
            await TestRepository.BackupBytesAsync(repository, "second.bin", TestRepository.RandomBytes(100_000, seed: 58)).WaitAsync(TimeSpan.FromMinutes(2));
        }

        File.Exists(abandoned).Should().BeFalse("nobody holds it and nobody wrote to it for over an hour");
        File.Exists(live).Should().BeTrue("a live writer holds its file locked");
        File.Exists(recent).Should().BeTrue("written to recently");
        File.Exists(outside).Should().BeTrue("a symlink is not followed");
        if (OperatingSystem.IsLinux())
        {
            File.Exists(fifo).Should().BeTrue("a FIFO is never opened");
        }
    }
}
