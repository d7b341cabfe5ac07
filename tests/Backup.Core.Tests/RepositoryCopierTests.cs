using Backup.Core.Sources.FileSystem;
using Backup.Core.Restore;
using Backup.Core.Pipeline;
using Backup.Core.Replication;
using Backup.Core.Repository;
using Backup.Core.Storage;
using Backup.Core.Tests.Support;

namespace Backup.Core.Tests;

public class RepositoryCopierTests
{
    [Fact]
    public async Task A_copied_snapshot_restores_exactly_from_a_repository_with_another_key()
    {
        await using var source = await TestRepository.InitAsync(new InMemoryTarget(), TestRepository.NewKeyFile(), TestRepository.SmallOptions());
        await using var destination = await TestRepository.InitAsync(new InMemoryTarget(), TestRepository.NewKeyFile(), TestRepository.SmallOptions("gzip"));
        var data = TestRepository.RandomBytes(3 * 1024 * 1024, seed: 71);
        var original = (await TestRepository.BackupBytesAsync(source, "data.bin", data, new() { Tags = ["nightly"] })).Snapshot;

        var result = await new RepositoryCopier(source, destination).CopyAsync();

        var copy = result.Copied.Should().ContainSingle().Subject;
        (await TestRepository.RestoreAsync(destination, copy)).ShouldEqualBytes(data);
        copy.Tags.Should().Equal("nightly");
        copy.Time.Should().Be(original.Time);
        copy.Metadata[RepositoryCopier.OriginKey].Should().Be($"{source.Config.Id}:{original.Id}");
        copy.Tree.Should().NotBe(original.Tree, "blob IDs are keyed per repository");
    }

    [Fact]
    public async Task A_copy_from_a_remote_source_reads_per_pack_not_per_chunk()
    {
        var counting = new CountingTarget(new InMemoryTarget());
        await using var source = await TestRepository.InitAsync(counting, TestRepository.NewKeyFile(), TestRepository.SmallOptions());
        await using var destination = await TestRepository.InitAsync(new InMemoryTarget(), TestRepository.NewKeyFile(), TestRepository.SmallOptions());
        var data = TestRepository.RandomBytes(12 * 1024 * 1024, seed: 74); // about 190 chunks of 64 KiB in 3-4 packs
        await TestRepository.BackupBytesAsync(source, "data.bin", data);
        source.Blobs.ReadsAreRemote.Should().BeTrue("the in-memory target stands for a remote store");
        var packs = source.Blobs.Index.Packs().Count;
        var chunks = source.Blobs.Index.Count;

        var before = counting.Gets;
        var result = await new RepositoryCopier(source, destination).CopyAsync();
        var reads = counting.Gets - before;

        (await TestRepository.RestoreAsync(destination, result.Copied.Should().ContainSingle().Subject)).ShouldEqualBytes(data);
        chunks.Should().BeGreaterThan(100);
        reads.Should().BeLessThanOrEqualTo(packs + 4, $"{chunks} chunks in {packs} packs (the rest: the snapshot, the root tree, the lock)");
    }

    [Fact]
    public async Task Copying_again_skips_what_was_copied_and_stores_only_new_data()
    {
        await using var source = await TestRepository.InitAsync(new InMemoryTarget(), TestRepository.NewKeyFile(), TestRepository.SmallOptions());
        await using var destination = await TestRepository.InitAsync(new InMemoryTarget(), TestRepository.NewKeyFile(), TestRepository.SmallOptions());
        var data = TestRepository.RandomBytes(2 * 1024 * 1024, seed: 72);
        await TestRepository.BackupBytesAsync(source, "data.bin", data);
        var first = await new RepositoryCopier(source, destination).CopyAsync();

        var changed = data.ToArray();
        changed[100] ^= 0xFF; // one chunk differs
        await TestRepository.BackupBytesAsync(source, "data.bin", changed);
        var second = await new RepositoryCopier(source, destination).CopyAsync();

        second.Skipped.Should().HaveCount(1);
        second.Copied.Should().HaveCount(1);
        second.BlobsAdded.Should().BeLessThan(first.BlobsAdded / 4, "only the changed chunk and its trees are new");
        (await TestRepository.RestoreAsync(destination, second.Copied[0])).ShouldEqualBytes(changed);
    }

    [Fact]
    public async Task A_nightly_copy_reads_back_only_what_it_stored_and_a_run_of_many_copies_shared_directories_once()
    {
        var sourceTarget = new CountingTarget(new InMemoryTarget());
        var destinationTarget = new CountingTarget(new InMemoryTarget());
        await using var source = await TestRepository.InitAsync(sourceTarget, TestRepository.NewKeyFile(), TestRepository.SmallOptions());
        await using var destination = await TestRepository.InitAsync(destinationTarget, TestRepository.NewKeyFile(), TestRepository.SmallOptions());
        var big = TestRepository.RandomBytes(8 * 1024 * 1024, seed: 76);
        using var scratch = new TempDirectory();
        var tree = Path.Combine(scratch.Path, "tree");
        Directory.CreateDirectory(Path.Combine(tree, "big"));
        Directory.CreateDirectory(Path.Combine(tree, "small"));
        await File.WriteAllBytesAsync(Path.Combine(tree, "big", "data.bin"), big);
        await File.WriteAllBytesAsync(Path.Combine(tree, "small", "a.txt"), TestRepository.RandomBytes(10_000, seed: 77));
        await new BackupService(source).BackupAsync(new FileSystemSource([tree]));
        (await new RepositoryCopier(source, destination).CopyAsync()).Copied.Should().ContainSingle();

        // The next night: one small file changed, the big directory did not.
        var changed = TestRepository.RandomBytes(10_000, seed: 78);
        await File.WriteAllBytesAsync(Path.Combine(tree, "small", "a.txt"), changed);
        await new BackupService(source).BackupAsync(new FileSystemSource([tree]));
        var readBefore = destinationTarget.BytesGot;
        var sourceBefore = sourceTarget.BytesGot;
        var nightly = await new RepositoryCopier(source, destination).CopyAsync();

        nightly.Copied.Should().ContainSingle();
        (destinationTarget.BytesGot - readBefore).Should().BeLessThan(big.Length / 4, "only the new blobs are read back, not the whole snapshot");
        (sourceTarget.BytesGot - sourceBefore).Should().BeLessThan(big.Length / 4, "the copy starts from last night's: the unchanged big file is not read from the source again");
        var restore = Path.Combine(scratch.Path, "restore");
        await new RestoreService(destination).RestoreAsync(nightly.Copied[0], restore);
        (await File.ReadAllBytesAsync(Directory.GetFiles(restore, "a.txt", SearchOption.AllDirectories).Single())).ShouldEqualBytes(changed);
        (await File.ReadAllBytesAsync(Directory.GetFiles(restore, "data.bin", SearchOption.AllDirectories).Single())).ShouldEqualBytes(big);

        // A fresh destination copying both snapshots in one run reads the unchanged directory from the source once.
        await using var second = await TestRepository.InitAsync(new InMemoryTarget(), TestRepository.NewKeyFile(), TestRepository.SmallOptions());
        var sourceReadBefore = sourceTarget.BytesGot;
        (await new RepositoryCopier(source, second).CopyAsync()).Copied.Should().HaveCount(2);
        (sourceTarget.BytesGot - sourceReadBefore).Should().BeLessThan(big.Length + (big.Length / 2), "the second snapshot's big directory is the first one's");
    }

    /// <summary>
    /// The next night's snapshot has a directory the last copy lacks (a nightly tree that grows): the copy starts from
    /// last night's and copies the new directory from the source. It failed with a NullReferenceException, every
    /// night from then on, because a name missing from last night's directory was looked up as an empty pair.
    /// </summary>
    [Fact]
    public async Task A_nightly_copy_of_a_snapshot_with_a_new_directory_copies_it()
    {
        await using var source = await TestRepository.InitAsync(new InMemoryTarget(), TestRepository.NewKeyFile(), TestRepository.SmallOptions());
        await using var destination = await TestRepository.InitAsync(new InMemoryTarget(), TestRepository.NewKeyFile(), TestRepository.SmallOptions());
        using var scratch = new TempDirectory();
        var tree = Path.Combine(scratch.Path, "tree");
        Directory.CreateDirectory(Path.Combine(tree, "old"));
        await File.WriteAllBytesAsync(Path.Combine(tree, "old", "a.bin"), TestRepository.RandomBytes(50_000, seed: 91));
        await new BackupService(source).BackupAsync(new FileSystemSource([tree]));
        (await new RepositoryCopier(source, destination).CopyAsync()).Copied.Should().ContainSingle();

        var added = TestRepository.RandomBytes(40_000, seed: 92);
        Directory.CreateDirectory(Path.Combine(tree, "new", "below"));
        await File.WriteAllBytesAsync(Path.Combine(tree, "new", "below", "b.bin"), added);
        await new BackupService(source).BackupAsync(new FileSystemSource([tree]));
        var nightly = await new RepositoryCopier(source, destination).CopyAsync();

        nightly.Copied.Should().ContainSingle();
        var restore = Path.Combine(scratch.Path, "restore");
        await new RestoreService(destination).RestoreAsync(nightly.Copied[0], restore);
        (await File.ReadAllBytesAsync(Directory.GetFiles(restore, "b.bin", SearchOption.AllDirectories).Single())).ShouldEqualBytes(added);
    }

    /// <summary>
    /// Someone who may write to the destination (they hold its key) but not the source's key forges a "copy" whose
    /// tree is other data: the next copy must not start from it, or unchanged files would get that data.
    /// </summary>
    [Fact]
    public async Task A_forged_earlier_copy_in_the_destination_is_not_trusted_as_a_starting_point()
    {
        await using var source = await TestRepository.InitAsync(new InMemoryTarget(), TestRepository.NewKeyFile(), TestRepository.SmallOptions());
        await using var destination = await TestRepository.InitAsync(new InMemoryTarget(), TestRepository.NewKeyFile(), TestRepository.SmallOptions());
        var genuine = TestRepository.RandomBytes(300_000, seed: 81);
        var first = (await TestRepository.BackupBytesAsync(source, "data.bin", genuine)).Snapshot;
        var copy = (await new RepositoryCopier(source, destination).CopyAsync()).Copied.Single();

        // Other data under the same name in the destination, presented as a later copy of the same source tree.
        var other = (await TestRepository.BackupBytesAsync(destination, "data.bin", TestRepository.RandomBytes(300_000, seed: 82))).Snapshot;
        var forgedMetadata = new Dictionary<string, string>(copy.Metadata)
        {
            [RepositoryCopier.OriginContentKey] = $"{source.Config.Id}:{first.Tree}:1",
            ["copied-proof"] = copy.Metadata["copied-proof"],
        };
        await destination.Snapshots.SaveAsync(copy with { Tree = other.Tree, Time = copy.Time.AddTicks(1), Metadata = forgedMetadata });

        var second = (await TestRepository.BackupBytesAsync(source, "data.bin", genuine, new() { Level = Backup.Core.Snapshots.BackupLevel.Incremental })).Snapshot;
        var result = await new RepositoryCopier(source, destination).CopyAsync([second]);

        (await TestRepository.RestoreAsync(destination, result.Copied.Single())).ShouldEqualBytes(genuine, "the forged copy's proof does not hold for its tree");
    }

    /// <summary>
    /// Someone who may write to the destination but holds no source key still sees the source's snapshot IDs (they are
    /// its object names): a "copy" that only claims to come from a snapshot must not make the next copy skip it.
    /// </summary>
    [Fact]
    public async Task A_forged_copied_from_marker_in_the_destination_does_not_make_a_copy_skip_the_snapshot()
    {
        await using var source = await TestRepository.InitAsync(new InMemoryTarget(), TestRepository.NewKeyFile(), TestRepository.SmallOptions());
        await using var destination = await TestRepository.InitAsync(new InMemoryTarget(), TestRepository.NewKeyFile(), TestRepository.SmallOptions());
        await TestRepository.BackupBytesAsync(source, "data.bin", TestRepository.RandomBytes(200_000, seed: 83));
        var copy = (await new RepositoryCopier(source, destination).CopyAsync()).Copied.Single();
        var newer = TestRepository.RandomBytes(200_000, seed: 84);
        var second = (await TestRepository.BackupBytesAsync(source, "data.bin", newer)).Snapshot;

        // The genuine copy's metadata (and proof) re-used, with the new snapshot's ID as its origin.
        var forgedMetadata = new Dictionary<string, string>(copy.Metadata) { [RepositoryCopier.OriginKey] = $"{source.Config.Id}:{second.Id}" };
        await destination.Snapshots.SaveAsync(copy with { Time = copy.Time.AddTicks(1), Metadata = forgedMetadata });

        var result = await new RepositoryCopier(source, destination).CopyAsync([second]);

        result.Skipped.Should().BeEmpty("nothing in the destination is a copy of that snapshot");
        (await TestRepository.RestoreAsync(destination, result.Copied.Should().ContainSingle().Subject)).ShouldEqualBytes(newer);
    }

    [Fact]
    public async Task A_snapshot_pinned_or_unpinned_after_it_was_copied_is_not_copied_again()
    {
        await using var source = await TestRepository.InitAsync(new InMemoryTarget(), TestRepository.NewKeyFile(), TestRepository.SmallOptions());
        await using var destination = await TestRepository.InitAsync(new InMemoryTarget(), TestRepository.NewKeyFile(), TestRepository.SmallOptions());
        var original = (await TestRepository.BackupBytesAsync(source, "data.bin", TestRepository.RandomBytes(256 * 1024, seed: 75))).Snapshot;
        (await new RepositoryCopier(source, destination).CopyAsync()).Copied.Should().ContainSingle();

        var pinned = await source.Snapshots.SetPinnedAsync(original.Id, pinned: true);
        var afterPin = await new RepositoryCopier(source, destination).CopyAsync();
        var unpinned = await source.Snapshots.SetPinnedAsync(pinned.Id, pinned: false);
        var afterUnpin = await new RepositoryCopier(source, destination).CopyAsync();

        pinned.Id.Should().NotBe(original.Id, "pinning stores a new snapshot object");
        afterPin.Copied.Should().BeEmpty("it is the same backup: its tree and time did not change");
        afterPin.Skipped.Should().ContainSingle().Which.Id.Should().Be(pinned.Id);
        afterUnpin.Copied.Should().BeEmpty();
        afterUnpin.Skipped.Should().ContainSingle().Which.Id.Should().Be(unpinned.Id);
        (await destination.Snapshots.ListAsync(null).ToListAsync()).Should().ContainSingle();
    }

    [Fact]
    public async Task An_interrupted_copy_resumes_and_completes()
    {
        await using var source = await TestRepository.InitAsync(new InMemoryTarget(), TestRepository.NewKeyFile(), TestRepository.SmallOptions("none"));
        var inner = new InMemoryTarget();
        var destinationKey = TestRepository.NewKeyFile();
        await (await TestRepository.InitAsync(inner, destinationKey, TestRepository.SmallOptions("none"))).DisposeAsync();
        var data = TestRepository.RandomBytes(12 * 1024 * 1024, seed: 73);
        await TestRepository.BackupBytesAsync(source, "data.bin", data);

        // Put 1 is the destination's lock object, put 2 a pack; the destination dies before a second pack.
        await using (var dying = await BackupRepository.OpenAsync(new FaultInjectingTarget(inner).DieAfterPuts(2), destinationKey))
        {
            var act = () => new RepositoryCopier(source, dying).CopyAsync();
            await act.Should().ThrowAsync<BackupTargetException>();
        }

        await using var destination = await BackupRepository.OpenAsync(inner, destinationKey);
        destination.Blobs.UnindexedPacks.Should().NotBeEmpty("the dead copy's pack is reused");
        var result = await new RepositoryCopier(source, destination).CopyAsync();
        (await TestRepository.RestoreAsync(destination, result.Copied.Should().ContainSingle().Subject)).ShouldEqualBytes(data);
    }

    [Fact]
    public async Task A_repository_cannot_be_copied_onto_itself()
    {
        var target = new InMemoryTarget();
        var key = TestRepository.NewKeyFile();
        await using var repository = await TestRepository.InitAsync(target, key, TestRepository.SmallOptions());
        await using var again = await BackupRepository.OpenAsync(target, key);
        var act = () => new RepositoryCopier(repository, again);
        act.Should().Throw<ArgumentException>().WithMessage("*same repository*");
    }
}
