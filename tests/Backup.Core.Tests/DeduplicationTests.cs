using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Backup.Core.Pipeline;
using Backup.Core.Repository;
using Backup.Core.Snapshots;
using Backup.Core.Sources;
using Backup.Core.Storage;
using Backup.Core.Tests.Support;
using Backup.Core.Content;

namespace Backup.Core.Tests;

public class DeduplicationTests
{
    [Fact]
    public async Task Backing_up_the_same_data_twice_adds_no_data_blobs_and_barely_grows_the_repository()
    {
        var target = new InMemoryTarget();
        await using var repository = await TestRepository.InitAsync(target, TestRepository.NewKeyFile());
        var data = TestRepository.RandomBytes(3 * 1024 * 1024, seed: 11);
        var first = await TestRepository.BackupBytesAsync(repository, "data.bin", data);
        var bytesAfterFirst = (await TestRepository.ListAsync(target, "")).Sum(o => o.Length);
        var packsAfterFirst = (await TestRepository.ListAsync(target, RepositoryLayout.DataPrefix)).Count;

        var second = await TestRepository.BackupBytesAsync(repository, "data.bin", data);

        first.Snapshot.Statistics.BlobsAdded.Should().BeGreaterThan(10);
        second.Snapshot.Statistics.BlobsAdded.Should().BeLessThanOrEqualTo(1, "only the tree blob (new mtime) may be new");
        second.Snapshot.Statistics.BytesAdded.Should().BeLessThan(4096);
        (await TestRepository.ListAsync(target, RepositoryLayout.DataPrefix)).Count.Should().BeLessThanOrEqualTo(packsAfterFirst + 1);
        var bytesAfterSecond = (await TestRepository.ListAsync(target, "")).Sum(o => o.Length);
        (bytesAfterSecond - bytesAfterFirst).Should().BeLessThan(16 * 1024, "a snapshot, an index and a tree are all that is new");
        (await TestRepository.RestoreAsync(repository, second.Snapshot)).ShouldEqualBytes(data);
    }

    [Fact]
    public async Task Data_shifted_by_a_few_inserted_bytes_shares_most_chunks()
    {
        await using var repository = await TestRepository.InitAsync(new InMemoryTarget(), TestRepository.NewKeyFile());
        var data = TestRepository.RandomBytes(4 * 1024 * 1024, seed: 12);
        var shifted = new byte[] { 1, 2, 3, 4, 5, 6, 7 }.Concat(data).ToArray();

        var first = await TestRepository.BackupBytesAsync(repository, "data.bin", data);
        var second = await TestRepository.BackupBytesAsync(repository, "data.bin", shifted);

        var before = (await repository.Snapshots.LoadTreeAsync(first.Snapshot.Tree)).Nodes.Single().Content!;
        var after = (await repository.Snapshots.LoadTreeAsync(second.Snapshot.Tree)).Nodes.Single().Content!;
        before.Count.Should().BeGreaterThan(30);
        after.Intersect(before).Count().Should().BeGreaterThanOrEqualTo(before.Count - 2, "only the chunk(s) around the insertion change");
        second.Snapshot.Statistics.BlobsAdded.Should().BeLessThanOrEqualTo(3);
        (await TestRepository.RestoreAsync(repository, second.Snapshot)).Should().Equal(shifted);
    }

    [Fact]
    public async Task Identical_content_under_two_different_stream_names_is_stored_once()
    {
        await using var repository = await TestRepository.InitAsync(new InMemoryTarget(), TestRepository.NewKeyFile());
        var data = TestRepository.RandomBytes(2 * 1024 * 1024, seed: 13);

        var first = await TestRepository.BackupBytesAsync(repository, "monday.dump", data);
        var second = await TestRepository.BackupBytesAsync(repository, "tuesday.dump", data);

        second.Snapshot.Statistics.BlobsAdded.Should().Be(1, "only the tree naming 'tuesday.dump' is new");
        var a = (await repository.Snapshots.LoadTreeAsync(first.Snapshot.Tree)).Nodes.Single().Content;
        var b = (await repository.Snapshots.LoadTreeAsync(second.Snapshot.Tree)).Nodes.Single().Content;
        b.Should().Equal(a);
        (await TestRepository.RestoreAsync(repository, second.Snapshot)).ShouldEqualBytes(data);
    }

    [Fact]
    public async Task Identical_files_within_one_snapshot_are_stored_once()
    {
        await using var repository = await TestRepository.InitAsync(new InMemoryTarget(), TestRepository.NewKeyFile());
        var data = TestRepository.RandomBytes(1024 * 1024, seed: 14);
        var source = new FilesSource(("dir", null), ("dir/a.bin", data), ("dir/b.bin", data), ("c.bin", data));

        var result = await new BackupService(repository).BackupAsync(source, new BackupOptions { Level = BackupLevel.Full });

        var root = await repository.Snapshots.LoadTreeAsync(result.Snapshot.Tree);
        var dir = await repository.Snapshots.LoadTreeAsync(root.Nodes.Single(n => n.Name == "dir").Subtree!.Value);
        var chunks = root.Nodes.Single(n => n.Name == "c.bin").Content!;
        dir.Nodes.Select(n => n.Name).Should().Equal("a.bin", "b.bin");
        dir.Nodes.Should().AllSatisfy(n => n.Content.Should().Equal(chunks));
        result.Snapshot.Statistics.Files.Should().Be(3);
        result.Snapshot.Statistics.Directories.Should().Be(1);
        result.Snapshot.Statistics.BlobsAdded.Should().Be(chunks.Count + 2, "the chunks once, plus two trees");
        var output = new MemoryStream();
        await new ContentReader(repository.Blobs).CopyToAsync(dir.Nodes[1], output);
        output.ToArray().Should().Equal(data);
    }

    /// <summary>A tiny file-tree source: entries given depth-first; a null content makes a directory.</summary>
    [Theory]
    [InlineData(BackupLevel.Incremental)]
    [InlineData(BackupLevel.Full)]
    public async Task Data_whose_pack_was_lost_is_stored_again_rather_than_referenced(BackupLevel level)
    {
        var target = new InMemoryTarget();
        var credentials = TestRepository.NewKeyFile();
        var kept = TestRepository.RandomBytes(1024 * 1024, seed: 21);
        var lost = TestRepository.RandomBytes(12 * 1024 * 1024, seed: 22);
        await using (var first = await TestRepository.InitAsync(target, credentials, TestRepository.SmallOptions(packSize: 4 * 1024 * 1024)))
        {
            var previous = (await new BackupService(first).BackupAsync(new FilesSource(("kept.bin", kept), ("lost.bin", lost)), new BackupOptions { Level = BackupLevel.Full })).Snapshot;

            // Packs lost to something other than prune (a disk fault, a hand in the wrong directory), which the index
            // still names: some of lost.bin's, not the one with the snapshot's tree, so the next backup finds the file
            // unchanged and would reference its chunks without reading it.
            var nodes = (await first.Snapshots.LoadTreeAsync(previous.Tree)).Nodes;
            BlobId PackOf(BlobId blob) => first.Blobs.Index.TryGet(blob, out var location) ? location.Pack : throw new InvalidOperationException("not indexed");
            var keep = nodes.Single(n => n.Name == "kept.bin").Content!.Select(PackOf).Append(PackOf(previous.Tree)).ToHashSet();
            var packs = nodes.Single(n => n.Name == "lost.bin").Content!.Select(PackOf).Where(p => !keep.Contains(p)).ToHashSet();
            packs.Should().NotBeEmpty();
            foreach (var pack in packs)
            {
                await target.DeleteAsync(RepositoryLayout.PackKey(pack));
            }
        }

        await using var repository = await BackupRepository.OpenAsync(target, credentials);
        var result = await new BackupService(repository).BackupAsync(new FilesSource(("kept.bin", kept), ("lost.bin", lost)), new BackupOptions { Level = level });

        result.MissingPacks.Should().BeGreaterThan(0, "the backup says the repository lost data");
        result.Snapshot.Statistics.BytesAdded.Should().BeGreaterThan(0, "the lost chunks are stored again, unchanged file or not");
        result.Snapshot.Statistics.BytesAdded.Should().BeLessThan(lost.Length + (kept.Length / 2), "what is still stored is not stored again");
        var root = await repository.Snapshots.LoadTreeAsync(result.Snapshot.Tree);
        foreach (var (name, expected) in new[] { ("kept.bin", kept), ("lost.bin", lost) })
        {
            var output = new MemoryStream();
            await new ContentReader(repository.Blobs).CopyToAsync(root.Nodes.Single(n => n.Name == name), output);
            output.ToArray().ShouldEqualBytes(expected, $"the new snapshot's {name} restores");
        }

        // And the next open finds the stored copies, not the lost ones.
        await using var reopened = await BackupRepository.OpenAsync(target, credentials);
        var again = new MemoryStream();
        await new ContentReader(reopened.Blobs).CopyToAsync((await reopened.Snapshots.LoadTreeAsync(result.Snapshot.Tree)).Nodes.Single(n => n.Name == "lost.bin"), again);
        again.ToArray().ShouldEqualBytes(lost);
    }

    private sealed class FilesSource(params (string Path, byte[]? Content)[] entries) : IBackupSource
    {
        public string Kind => "files";

        public IReadOnlyList<string> Paths => ["/"];

        public async IAsyncEnumerable<SourceEntry> ReadEntriesAsync(SourceContext context, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.CompletedTask;
            foreach (var (path, content) in entries)
            {
                var name = path[(path.LastIndexOf('/') + 1)..];
                yield return content is null
                    ? new SourceEntry { Path = path, Metadata = new TreeNode { Name = name, Type = NodeType.Directory } }
                    : new SourceEntry
                    {
                        Path = path,
                        Metadata = new TreeNode { Name = name, Type = NodeType.File, Size = content.Length },
                        OpenContentAsync = _ => ValueTask.FromResult(PipeReader.Create(new MemoryStream(content))),
                    };
            }
        }
    }
}
