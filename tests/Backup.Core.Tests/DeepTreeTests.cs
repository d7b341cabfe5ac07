using Backup.Core.Maintenance;
using Backup.Core.Replication;
using Backup.Core.Repository;
using Backup.Core.Restore;
using Backup.Core.Snapshots;
using Backup.Core.Storage;
using Backup.Core.Tests.Support;
using Backup.Core.Verification;

namespace Backup.Core.Tests;

/// <summary>
/// A client that may only append can store a snapshot of any depth, and a backup through openat can meet a real one.
/// Every command that walks trees must finish such a snapshot (or say what is wrong with it): a stack overflow ends
/// the process with no message and nothing cleaned up.
/// </summary>
public class DeepTreeTests
{
    private const int Depth = 20_000;

    private static readonly byte[] Bottom = [1, 2, 3, 4, 5];

    /// <summary>A snapshot of <see cref="Depth"/> nested directories "d" with one file "f" at the bottom.</summary>
    private static async Task<Snapshot> SaveDeepSnapshotAsync(BackupRepository repository, bool bottomChunkMissing = false, int depth = Depth)
    {
        await using var writer = repository.CreateWriter(1);
        var chunk = bottomChunkMissing ? repository.Blobs.ComputeId([9, 9, 9]) : await writer.AddBlobAsync(Bottom, BlobType.Data);
        var tree = await writer.AddBlobAsync(TreeCodec.Serialize(new Tree([new TreeNode { Name = "f", Type = NodeType.File, Size = Bottom.Length, Content = [chunk] }])), BlobType.Tree);
        for (var i = 0; i < depth; i++)
        {
            tree = await writer.AddBlobAsync(TreeCodec.Serialize(new Tree([new TreeNode { Name = "d", Type = NodeType.Directory, Mode = 0x1ED, Subtree = tree }])), BlobType.Tree);
        }

        await writer.CompleteAsync();
        return await repository.Snapshots.SaveAsync(new Snapshot { Hostname = "h", SourceKind = "files", Tree = tree, Time = DateTimeOffset.UtcNow });
    }

    private static async Task<List<string>> FilePathsAsync(BackupRepository repository, Snapshot snapshot)
    {
        var files = new List<string>();
        await foreach (var (path, node) in SnapshotWalker.WalkAsync(repository.Snapshots, snapshot.Tree))
        {
            if (node.Type == NodeType.File)
            {
                files.Add(path);
            }
        }

        return files;
    }

    private static string BottomPath => string.Concat(Enumerable.Repeat("d/", Depth)) + "f";

    [Fact]
    public async Task A_very_deep_snapshot_is_copied_whole()
    {
        await using var source = await TestRepository.InitAsync(new InMemoryTarget(), TestRepository.NewKeyFile());
        await using var destination = await TestRepository.InitAsync(new InMemoryTarget(), TestRepository.NewKeyFile());
        await SaveDeepSnapshotAsync(source);

        var result = await new RepositoryCopier(source, destination).CopyAsync();

        var copy = result.Copied.Should().ContainSingle().Subject;
        (await FilePathsAsync(destination, copy)).Should().Equal(BottomPath);
    }

    [Fact]
    public async Task A_very_deep_snapshot_is_compared_with_another()
    {
        await using var repository = await TestRepository.InitAsync(new InMemoryTarget(), TestRepository.NewKeyFile());
        var deep = await SaveDeepSnapshotAsync(repository);
        var empty = await repository.Snapshots.SaveAsync(new Snapshot { Hostname = "h", SourceKind = "files", Tree = await StoreEmptyTreeAsync(repository), Time = DateTimeOffset.UtcNow });

        var added = 0;
        string? last = null;
        await foreach (var change in SnapshotDiff.CompareAsync(repository.Snapshots, empty, deep))
        {
            change.Kind.Should().Be(SnapshotChangeKind.Added);
            added++;
            last = change.Path;
        }

        added.Should().Be(Depth + 1);
        last.Should().Be(BottomPath);
    }

    [Fact]
    public async Task Two_very_deep_snapshots_that_differ_at_the_bottom_are_compared()
    {
        await using var repository = await TestRepository.InitAsync(new InMemoryTarget(), TestRepository.NewKeyFile());
        var older = await SaveDeepSnapshotAsync(repository);
        var newer = await SaveDeepSnapshotAsync(repository, bottomChunkMissing: true);

        var changes = new List<SnapshotChange>();
        await foreach (var change in SnapshotDiff.CompareAsync(repository.Snapshots, older, newer))
        {
            changes.Add(change);
        }

        changes.Should().ContainSingle().Which.Path.Should().Be(BottomPath);
    }

    [Fact]
    public async Task A_very_deep_snapshot_with_a_lost_chunk_is_repaired()
    {
        var target = new InMemoryTarget();
        var credentials = TestRepository.NewKeyFile();
        await using (var repository = await TestRepository.InitAsync(target, credentials))
        {
            await SaveDeepSnapshotAsync(repository, bottomChunkMissing: true);
        }

        await using var reopened = await BackupRepository.OpenWithoutIndexAsync(target, credentials);
        var repair = await new MaintenanceService(reopened).RepairSnapshotsAsync(dryRun: false);

        repair.SnapshotsRewritten.Should().Be(1);
        var repaired = await reopened.Snapshots.FindAsync("latest");
        (await FilePathsAsync(reopened, repaired)).Should().BeEmpty("the file whose chunk is lost is dropped");
    }

    [Fact]
    public async Task A_restore_drill_of_a_very_deep_snapshot_reports_what_it_could_not_restore()
    {
        await using var repository = await TestRepository.InitAsync(new InMemoryTarget(), TestRepository.NewKeyFile());
        await SaveDeepSnapshotAsync(repository);
        using var scratch = new TempDirectory();

        var drill = await new VerificationService(repository).RestoreDrillAsync(new DrillOptions { ScratchDirectory = scratch.Path });

        drill.Problems.Should().NotBeEmpty("a path this long cannot be created through the file system's path calls");
        Directory.EnumerateFileSystemEntries(scratch.Path).Should().BeEmpty("the drill removes its scratch directory");
    }

    /// <summary>
    /// A path past PATH_MAX: a restore opens one directory at a time, so it gets there. It holds one descriptor per
    /// level, so the process's limit may come first: then that limit is named, not taken for an attack. (3,000 levels:
    /// using up every descriptor of the shared test host crashed it once.)
    /// </summary>
    [Fact]
    public async Task A_snapshot_deeper_than_any_path_is_restored_whole_or_the_descriptor_limit_named()
    {
        await using var repository = await TestRepository.InitAsync(new InMemoryTarget(), TestRepository.NewKeyFile());
        var deep = await SaveDeepSnapshotAsync(repository, depth: 3_000);
        var scratch = Path.Combine(Path.GetTempPath(), "backup-deep-" + Guid.NewGuid().ToString("N"));
        try
        {
            var result = await new RestoreService(repository).RestoreAsync(deep, scratch);

            if (result.Problems.Count == 0)
            {
                result.Files.Should().Be(1);
                result.Bytes.Should().Be(Bottom.Length);
            }
            else
            {
                result.Problems.Should().ContainSingle().Which.Reason.Should().Contain("Too many open files").And.Contain("ulimit -n");
            }
        }
        finally
        {
            await RemoveDeepDirectoryAsync(scratch);
        }
    }

    /// <summary>.NET's recursive delete goes by full path, which a tree this deep exceeds; rm walks it directory by directory.</summary>
    private static async Task RemoveDeepDirectoryAsync(string path)
    {
        using var rm = System.Diagnostics.Process.Start("rm", ["-rf", path])!;
        await rm.WaitForExitAsync();
        Directory.Exists(path).Should().BeFalse();
    }

    private static async Task<BlobId> StoreEmptyTreeAsync(BackupRepository repository)
    {
        await using var writer = repository.CreateWriter(1);
        var id = await writer.AddBlobAsync(TreeCodec.Serialize(new Tree([])), BlobType.Tree);
        await writer.CompleteAsync();
        return id;
    }
}
