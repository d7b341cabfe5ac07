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
}
