using Backup.Core.Sources.FileSystem;
using Backup.Core.Restore;
using Backup.Core.Pipeline;
using Backup.Core.Replication;
using Backup.Core.Repository;
using Backup.Core.Repository.Blobs;
using Backup.Core.Storage;
using Backup.Core.Tests.Support;

namespace Backup.Core.Tests;

/// <summary>Copies into a destination with lost or half-written data, and sources holding look-alike snapshots.</summary>
public class RepositoryCopierDamageTests
{
    /// <summary>A directory unchanged since the last copy is not taken from it whole when a pack below it was lost.</summary>
    [Fact]
    public async Task An_unchanged_directory_whose_data_pack_was_lost_is_copied_again_from_the_source()
    {
        var destTarget = new InMemoryTarget();
        var destKey = TestRepository.NewKeyFile();
        await using var source = await TestRepository.InitAsync(new InMemoryTarget(), TestRepository.NewKeyFile(), TestRepository.SmallOptions());
        await (await TestRepository.InitAsync(destTarget, destKey, TestRepository.SmallOptions())).DisposeAsync();
        var big = TestRepository.RandomBytes(10 * 1024 * 1024, seed: 91);
        using var scratch = new TempDirectory();
        var tree = Path.Combine(scratch.Path, "tree");
        Directory.CreateDirectory(Path.Combine(tree, "big"));
        Directory.CreateDirectory(Path.Combine(tree, "small"));
        await File.WriteAllBytesAsync(Path.Combine(tree, "big", "data.bin"), big);
        await File.WriteAllBytesAsync(Path.Combine(tree, "small", "a.txt"), TestRepository.RandomBytes(10_000, seed: 92));
        await new BackupService(source).BackupAsync(new FileSystemSource([tree]));
        await using (var d1 = await BackupRepository.OpenAsync(destTarget, destKey))
        {
            (await new RepositoryCopier(source, d1).CopyAsync()).Copied.Should().ContainSingle();
            var treePacks = d1.Blobs.Index.ListByPack(BlobType.Tree).Keys.ToHashSet();
            var dataOnly = d1.Blobs.Index.ListByPack(BlobType.Data).Keys.First(p => !treePacks.Contains(p));
            await destTarget.DeleteAsync(RepositoryLayout.PackKey(dataOnly)); // lost by storage, not by prune
        }

        await File.WriteAllBytesAsync(Path.Combine(tree, "small", "a.txt"), TestRepository.RandomBytes(10_000, seed: 93));
        await new BackupService(source).BackupAsync(new FileSystemSource([tree]));
        await using var destination = await BackupRepository.OpenAsync(destTarget, destKey);
        destination.Blobs.MissingPacks.Should().NotBeEmpty();
        var nightly = await new RepositoryCopier(source, destination).CopyAsync();
        var copy = nightly.Copied.Should().ContainSingle().Subject;
        var gone = new List<string>();
        await foreach (var (path, node) in Backup.Core.Snapshots.SnapshotWalker.WalkAsync(destination.Snapshots, copy.Tree))
        {
            foreach (var id in node.Content ?? [])
            {
                if (!destination.Blobs.TryGetStored(id, out _))
                {
                    gone.Add(path);
                }
            }
        }
        gone.Distinct().Should().BeEmpty("a copy must not reference data in a pack known to be missing");
    }

    /// <summary>What a stopped copy uploaded was never read back: the resumed copy reads it back (or stores it again).</summary>
    [Fact]
    public async Task A_resumed_copy_reads_back_what_the_stopped_run_uploaded()
    {
        await using var source = await TestRepository.InitAsync(new InMemoryTarget(), TestRepository.NewKeyFile(), TestRepository.SmallOptions("none"));
        var inner = new InMemoryTarget();
        var destinationKey = TestRepository.NewKeyFile();
        await (await TestRepository.InitAsync(inner, destinationKey, TestRepository.SmallOptions("none"))).DisposeAsync();
        var data = TestRepository.RandomBytes(12 * 1024 * 1024, seed: 73);
        await TestRepository.BackupBytesAsync(source, "data.bin", data);
        await using (var dying = await BackupRepository.OpenAsync(new FaultInjectingTarget(inner).DieAfterPuts(2), destinationKey))
        {
            var act = () => new RepositoryCopier(source, dying).CopyAsync();
            await act.Should().ThrowAsync<BackupTargetException>();
        }

        // The upload of the dead run's pack was damaged in its blob area (its header is intact).
        var packKey = (await TestRepository.ListAsync(inner, RepositoryLayout.DataPrefix)).Single().Key;
        var all = new byte[(await inner.StatAsync(packKey))!.Length];
        await inner.ReadAsync(packKey, 0, all);
        all[500] ^= 0xFF;
        await inner.PutAsync(packKey, all);

        await using var destination = await BackupRepository.OpenAsync(inner, destinationKey);
        destination.Blobs.UnindexedPacks.Should().NotBeEmpty();
        // Either the copy refuses (read-back) or it stored the data again: a recorded copy must restore.
        try
        {
            var result = await new RepositoryCopier(source, destination).CopyAsync();
            (await TestRepository.RestoreAsync(destination, result.Copied.Single())).ShouldEqualBytes(data);
        }
        catch (RepositoryCorruptException ex) when (ex.Message.Contains("does not read back"))
        {
            // Refusing to record a copy that does not read back is as good as one that restores.
        }
    }

    /// <summary>A snapshot of the same data and time but another host (or tags) does not pass for one already copied.</summary>
    [Fact]
    public async Task A_look_alike_snapshot_of_another_host_does_not_hide_the_real_one()
    {
        await using var source = await TestRepository.InitAsync(new InMemoryTarget(), TestRepository.NewKeyFile(), TestRepository.SmallOptions());
        await using var destination = await TestRepository.InitAsync(new InMemoryTarget(), TestRepository.NewKeyFile(), TestRepository.SmallOptions());
        var legit = (await TestRepository.BackupBytesAsync(source, "data.bin", TestRepository.RandomBytes(100_000, seed: 95))).Snapshot;
        var decoy = await source.Snapshots.SaveAsync(legit with { Hostname = "decoy-host", Tags = ["to-be-forgotten"], Parent = null });

        var result = await new RepositoryCopier(source, destination).CopyAsync([decoy, legit]);

        var hosts = (await destination.Snapshots.ListAsync(null).ToListAsync()).Select(s => s.Hostname).ToList();
        result.Skipped.Select(s => s.Id).Should().NotContain(legit.Id, $"destination hosts: {string.Join(",", hosts)}");
    }
}
