using System.Text;
using Backup.Core.Restore;
using Backup.Core.Snapshots;

namespace Backup.Files.Tests;

public class RoundTripTests
{
    /// <summary>Builds a tree with every kind of entry and awkward names; returns the relative paths of regular files.</summary>
    internal static void BuildCorpus(string root)
    {
        var random = new Random(42);
        byte[] Bytes(int n)
        {
            var b = new byte[n];
            random.NextBytes(b);
            return b;
        }

        Directory.CreateDirectory(root);
        File.WriteAllBytes(Path.Combine(root, "plain.bin"), Bytes(3_000_000));
        File.WriteAllText(Path.Combine(root, "ünïcødé ✓ 文件.txt"), "unicode");
        File.WriteAllText(Path.Combine(root, "with space.txt"), "space");
        File.WriteAllText(Path.Combine(root, "new\nline"), "newline");
        File.WriteAllText(Path.Combine(root, new string('n', 255)), "long ascii name");
        File.WriteAllText(Path.Combine(root, new string('é', 127) + "x"), "255-byte utf-8 name");
        File.WriteAllBytes(Path.Combine(root, "empty-file"), []);
        Directory.CreateDirectory(Path.Combine(root, "empty-dir"));

        var deep = root;
        for (var i = 0; i < 60; i++)
        {
            deep = Path.Combine(deep, "d" + i);
        }

        Directory.CreateDirectory(deep);
        File.WriteAllText(Path.Combine(deep, "bottom.txt"), "deep");

        File.CreateSymbolicLink(Path.Combine(root, "link-to-plain"), "plain.bin");
        File.CreateSymbolicLink(Path.Combine(root, "dangling"), "../does/not/exist");
        Directory.CreateSymbolicLink(Path.Combine(root, "link-to-dir"), "empty-dir");

        Directory.CreateDirectory(Path.Combine(root, "hard"));
        File.WriteAllBytes(Path.Combine(root, "hard", "one"), Bytes(100_000));
        Shell.Run("ln", Path.Combine(root, "hard", "one"), Path.Combine(root, "hard", "two"));
        Shell.Run("ln", Path.Combine(root, "hard", "one"), Path.Combine(root, "three-elsewhere"));

        using (var sparse = new FileStream(Path.Combine(root, "sparse.img"), FileMode.CreateNew))
        {
            sparse.SetLength(24 << 20);
            sparse.Position = 12 << 20;
            sparse.Write(Bytes(4096));
        }

        Shell.Run("mkfifo", Path.Combine(root, "fifo"));

        var secret = Path.Combine(root, "secret");
        File.WriteAllText(secret, "0600");
        File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var script = Path.Combine(root, "script.sh");
        File.WriteAllText(script, "#!/bin/sh\n");
        File.SetUnixFileMode(script, (UnixFileMode)0x1ED);
        var privateDir = Path.Combine(root, "private");
        Directory.CreateDirectory(privateDir);
        File.WriteAllText(Path.Combine(privateDir, "inside"), "in a 0700 directory");
        new DirectoryInfo(privateDir).UnixFileMode = (UnixFileMode)0x1C0;
        var readOnlyDir = Path.Combine(root, "read-only-dir");
        Directory.CreateDirectory(readOnlyDir);
        File.WriteAllText(Path.Combine(readOnlyDir, "inside"), "in a 0555 directory");
        new DirectoryInfo(readOnlyDir).UnixFileMode = (UnixFileMode)0x16D;

        File.SetLastWriteTimeUtc(Path.Combine(root, "with space.txt"), new DateTime(2001, 2, 3, 4, 5, 6, DateTimeKind.Utc).AddTicks(1234567));
    }

    internal static async Task ShouldMatchAsync(string original, string restored, bool expectHardLinks = false)
    {
        var expected = await Entries.ReadAsync(original);
        var actual = await Entries.ReadAsync(restored);
        actual.Keys.Should().BeEquivalentTo(expected.Keys);
        foreach (var (path, want) in expected)
        {
            var got = actual[path];
            got.Type.Should().Be(want.Type, path);
            got.Mode.Should().Be(want.Mode, path);
            got.Uid.Should().Be(want.Uid, path);
            got.Gid.Should().Be(want.Gid, path);
            got.MtimeNs.Should().Be(want.MtimeNs, path);
            got.Size.Should().Be(want.Size, path);
            got.LinkTarget.Should().Be(want.LinkTarget, path);
            got.Links.Should().Be(want.Links, path);
            got.Sparse.Should().Be(want.Sparse, path);
            if (want.Type == NodeType.File)
            {
                File.ReadAllBytes(Path.Combine(restored, path)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(original, path))).Should().BeTrue(path);
            }
        }

        // Hard links come back as links of one inode, exactly as they were grouped.
        var groups = expected.Where(e => e.Value.Links > 1).GroupBy(e => e.Value.Inode, e => e.Key).Select(g => g.OrderBy(p => p, StringComparer.Ordinal).ToList()).ToList();
        (groups.Count > 0).Should().Be(expectHardLinks);
        foreach (var group in groups)
        {
            group.Select(p => actual[p].Inode).Distinct().Should().ContainSingle(string.Join(", ", group));
        }
    }

    [Fact]
    public async Task A_tree_with_every_kind_of_entry_round_trips_with_content_and_metadata()
    {
        using var source = new TempDirectory();
        using var target = new TempDirectory();
        var corpus = source.Sub("corpus");
        BuildCorpus(corpus);
        await using var repo = await TestRepository.CreateAsync();

        var backup = await repo.BackupAsync(corpus);
        backup.Problems.Should().BeEmpty();
        backup.Snapshot.Partial.Should().BeFalse();
        backup.Snapshot.Paths.Should().Equal(corpus);

        var progress = new List<RestoreProgress>();
        var result = await new RestoreService(repo.Repository).RestoreAsync(backup.Snapshot, target.Path, progress: new SyncProgress<RestoreProgress>(progress.Add));
        result.Problems.Should().BeEmpty();
        result.Files.Should().BeGreaterThan(15).And.Be(backup.Snapshot.Statistics.Files, "a restore counts the files its backup counted");
        result.OtherEntries.Should().Be(4, "three symlinks and a FIFO");
        result.Directories.Should().BeGreaterThan(60);
        // The two extra names of the hard-linked 100 kB file are links, not written again.
        result.Bytes.Should().Be(backup.Snapshot.Statistics.TotalBytes - 200_000);
        progress.Should().NotBeEmpty();
        Directory.EnumerateFileSystemEntries(target.Restored(corpus), ".restore-*", SearchOption.AllDirectories).Should().BeEmpty();
        await ShouldMatchAsync(corpus, target.Restored(corpus), expectHardLinks: true);
    }

    [Fact]
    public async Task Restoring_twice_over_the_same_target_with_overwrite_gives_the_same_tree()
    {
        using var source = new TempDirectory();
        using var target = new TempDirectory();
        var corpus = source.Sub("corpus");
        BuildCorpus(corpus);
        await using var repo = await TestRepository.CreateAsync();
        var backup = await repo.BackupAsync(corpus);
        var service = new RestoreService(repo.Repository);
        (await service.RestoreAsync(backup.Snapshot, target.Path)).Problems.Should().BeEmpty();
        (await service.RestoreAsync(backup.Snapshot, target.Path, new RestoreOptions { Parallelism = 1 })).Problems.Should().BeEmpty();
        await ShouldMatchAsync(corpus, target.Restored(corpus), expectHardLinks: true);
    }

    [Fact]
    public async Task Each_level_rereads_what_it_should()
    {
        using var source = new TempDirectory();
        var root = source.Sub("data");
        Directory.CreateDirectory(root);
        for (var i = 0; i < 5; i++)
        {
            File.WriteAllText(Path.Combine(root, $"f{i}"), $"content {i}");
        }

        void Change(string name, int stamp)
        {
            var path = Path.Combine(root, name);
            File.WriteAllText(path, $"changed {stamp} " + new string('x', stamp));
            File.SetLastWriteTimeUtc(path, new DateTime(2020, 1, 1, 0, 0, stamp, DateTimeKind.Utc));
        }

        await using var repo = await TestRepository.CreateAsync();
        var full = await repo.BackupAsync(root, BackupLevel.Full);
        full.Snapshot.Statistics.FilesRead.Should().Be(5);

        var unchanged = await repo.BackupAsync(root, BackupLevel.Incremental);
        unchanged.Snapshot.Level.Should().Be(BackupLevel.Incremental);
        unchanged.Snapshot.Parent.Should().Be(full.Snapshot.Id);
        unchanged.Snapshot.Statistics.FilesRead.Should().Be(0);

        Change("f1", 1);
        var incremental1 = await repo.BackupAsync(root, BackupLevel.Incremental);
        incremental1.Snapshot.Statistics.FilesRead.Should().Be(1);

        Change("f2", 2);
        File.WriteAllText(Path.Combine(root, "new"), "new");
        var incremental2 = await repo.BackupAsync(root, BackupLevel.Incremental);
        incremental2.Snapshot.Statistics.FilesRead.Should().Be(2);
        incremental2.Snapshot.Parent.Should().Be(incremental1.Snapshot.Id);

        var differential = await repo.BackupAsync(root, BackupLevel.Differential);
        differential.Snapshot.Parent.Should().Be(full.Snapshot.Id);
        differential.Snapshot.Statistics.FilesRead.Should().Be(3, "f1, f2 and new changed since the full backup");
        differential.Snapshot.Statistics.Files.Should().Be(6);

        var again = await repo.BackupAsync(root, BackupLevel.Full);
        again.Snapshot.Statistics.FilesRead.Should().Be(6);

        // Every snapshot restores on its own, whatever its level.
        using var target = new TempDirectory();
        (await new RestoreService(repo.Repository).RestoreAsync(incremental2.Snapshot, target.Path)).Problems.Should().BeEmpty();
        await ShouldMatchAsync(root, target.Restored(root));

        // An incremental that found every file changed read everything: recorded as what it was, a Full.
        foreach (var name in Directory.GetFiles(root).Select(Path.GetFileName))
        {
            Change(name!, 30);
        }

        var allChanged = await repo.BackupAsync(root, BackupLevel.Incremental);
        allChanged.Snapshot.Statistics.FilesRead.Should().Be(6);
        allChanged.Snapshot.Level.Should().Be(BackupLevel.Full);
        allChanged.Snapshot.Parent.Should().BeNull();
    }

    [Fact]
    public async Task Sparse_files_are_restored_with_holes()
    {
        using var source = new TempDirectory();
        using var target = new TempDirectory();
        var root = source.Sub("s");
        Directory.CreateDirectory(root);
        using (var sparse = new FileStream(Path.Combine(root, "disk.img"), FileMode.CreateNew))
        {
            sparse.SetLength(40 << 20);
            sparse.Position = 20 << 20;
            sparse.Write(Encoding.UTF8.GetBytes("in the middle"));
        }

        await using var repo = await TestRepository.CreateAsync();
        var backup = await repo.BackupAsync(root);
        await new RestoreService(repo.Repository).RestoreAsync(backup.Snapshot, target.Path);
        var restored = await Entries.ReadAsync(target.Restored(root));
        restored["disk.img"].Sparse.Should().BeTrue();
        restored["disk.img"].Size.Should().Be(40 << 20);
        await ShouldMatchSparseContentAsync(Path.Combine(root, "disk.img"), Path.Combine(target.Restored(root), "disk.img"));
    }

    private static async Task ShouldMatchSparseContentAsync(string a, string b)
    {
        var expected = await File.ReadAllBytesAsync(a);
        var actual = await File.ReadAllBytesAsync(b);
        expected.AsSpan().SequenceEqual(actual).Should().BeTrue();
    }
}

/// <summary>Reports synchronously, so the test sees every report before the call returns.</summary>
internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
