using Backup.Core.Repository;
using Backup.Core.Storage;
using Backup.Core.Tests.Support;

namespace Backup.Core.Tests;

public class ConcurrentWriterTests
{
    [Fact]
    public async Task Two_writers_backing_up_at_once_into_one_directory_both_produce_restorable_snapshots()
    {
        using var directory = new TempDirectory();
        var credentials = TestRepository.NewKeyFile();
        await (await TestRepository.InitAsync(new LocalDirectoryTarget(directory.Path), credentials)).DisposeAsync();
        var a = TestRepository.RandomBytes(6 * 1024 * 1024, seed: 61);
        var b = TestRepository.RandomBytes(6 * 1024 * 1024, seed: 62);
        var shared = TestRepository.RandomBytes(512 * 1024, seed: 63);
        a = [.. a, .. shared];
        b = [.. shared, .. b];

        await using (var first = await BackupRepository.OpenAsync(new LocalDirectoryTarget(directory.Path), credentials))
        await using (var second = await BackupRepository.OpenAsync(new LocalDirectoryTarget(directory.Path), credentials))
        {
            await Task.WhenAll(
                Task.Run(() => TestRepository.BackupBytesAsync(first, "a.bin", a)),
                Task.Run(() => TestRepository.BackupBytesAsync(second, "b.bin", b)));
        }

        await using var fresh = await BackupRepository.OpenAsync(new LocalDirectoryTarget(directory.Path), credentials);
        var snapshots = new List<Snapshots.Snapshot>();
        await foreach (var snapshot in fresh.Snapshots.ListAsync())
        {
            snapshots.Add(snapshot);
        }

        snapshots.Should().HaveCount(2);
        (await TestRepository.RestoreAsync(fresh, snapshots.Single(s => s.Paths[0] == "a.bin"))).ShouldEqualBytes(a);
        (await TestRepository.RestoreAsync(fresh, snapshots.Single(s => s.Paths[0] == "b.bin"))).ShouldEqualBytes(b);
        (await TestRepository.ListAsync(fresh.Blobs.Target, RepositoryLayout.IndexPrefix)).Should().HaveCount(2);
    }
}
