using Backup.Core.Pipeline;
using Backup.Core.Repository;
using Backup.Core.Storage;
using Backup.Core.Tests.Support;
using Backup.Core.Content;

namespace Backup.Core.Tests;

public class ContentReaderTests
{
    [Fact]
    public async Task Chunks_stored_back_to_back_are_read_with_one_range_read_per_run_and_come_back_exactly()
    {
        var counting = new CountingTarget(new InMemoryTarget());
        var credentials = TestRepository.NewKeyFile();
        var data = TestRepository.RandomBytes(6 * 1024 * 1024, seed: 31);
        await using (var writer = await TestRepository.InitAsync(counting, credentials))
        {
            await TestRepository.BackupBytesAsync(writer, "data.bin", data);
        }

        await using var repository = await BackupRepository.OpenAsync(counting, credentials);
        var node = (await repository.Snapshots.LoadTreeAsync((await repository.Snapshots.FindAsync("latest")).Tree)).Nodes.Single();
        node.Content!.Count.Should().BeGreaterThan(40, "small test chunks make many chunks of one stream");
        var before = counting.Gets;

        var output = new MemoryStream();
        await new ContentReader(repository.Blobs).CopyToAsync(node, output);

        output.ToArray().ShouldEqualBytes(data);
        var reads = counting.Gets - before;
        reads.Should().BeLessThan(node.Content.Count / 4, "a single stream's chunks lie close together in its packs, so runs of them are read at once");
    }

    [Fact]
    public async Task A_pack_cut_short_under_a_run_is_an_error_not_data()
    {
        var target = new InMemoryTarget();
        var credentials = TestRepository.NewKeyFile();
        var data = TestRepository.RandomBytes(3 * 1024 * 1024, seed: 32);
        await using (var writer = await TestRepository.InitAsync(target, credentials))
        {
            await TestRepository.BackupBytesAsync(writer, "data.bin", data);
        }

        await using var repository = await BackupRepository.OpenAsync(target, credentials);
        var node = (await repository.Snapshots.LoadTreeAsync((await repository.Snapshots.FindAsync("latest")).Tree)).Nodes.Single();
        var pack = (await TestRepository.ListAsync(target, RepositoryLayout.DataPrefix)).Single();
        var bytes = await target.ReadAllAsync(pack.Key, Array.MaxLength);
        await target.PutAsync(pack.Key, bytes.AsMemory(0, bytes.Length / 2));

        var output = new MemoryStream();
        var read = () => new ContentReader(repository.Blobs).CopyToAsync(node, output);
        // The target refuses a range past the end (BackupTargetException); a target that returned fewer bytes
        // would meet the reader's own length check (RepositoryCorruptException). Either way, no data.
        await read.Should().ThrowAsync<Exception>().Where(e => e is RepositoryCorruptException || e is BackupTargetException);
        output.Length.Should().BeLessThan(data.Length);
    }
}
