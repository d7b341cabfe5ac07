using System.Formats.Tar;
using Backup.Core.Snapshots;
using Backup.Core.Restore;

namespace Backup.Files.Tests;

public class SnapshotToolsTests
{
    [Fact]
    public async Task Walk_is_depth_first_pre_order_and_find_locates_paths()
    {
        using var source = new TempDirectory();
        var root = source.Sub("w");
        Directory.CreateDirectory(Path.Combine(root, "b/c"));
        File.WriteAllText(Path.Combine(root, "a"), "a");
        File.WriteAllText(Path.Combine(root, "b/c/d"), "d");
        File.WriteAllText(Path.Combine(root, "b/e"), "e");
        await using var repo = await TestRepository.CreateAsync();
        var snapshot = (await repo.BackupAsync(root)).Snapshot;

        var paths = new List<string>();
        await foreach (var (path, _) in SnapshotWalker.WalkAsync(repo.Repository.Snapshots, snapshot.Tree))
        {
            paths.Add(path);
        }

        var prefix = root.TrimStart('/');
        paths.Where(p => p.StartsWith(prefix + "/", StringComparison.Ordinal)).Select(p => p[(prefix.Length + 1)..])
            .Should().Equal("a", "b", "b/c", "b/c/d", "b/e");
        paths.Should().StartWith(prefix.Split('/')[0]);

        (await SnapshotWalker.FindAsync(repo.Repository.Snapshots, snapshot, "/" + prefix + "/b/e"))!.Size.Should().Be(1);
        (await SnapshotWalker.FindAsync(repo.Repository.Snapshots, snapshot, prefix + "/b/c"))!.Type.Should().Be(NodeType.Directory);
        (await SnapshotWalker.FindAsync(repo.Repository.Snapshots, snapshot, prefix + "/a/x")).Should().BeNull();
        (await SnapshotWalker.FindAsync(repo.Repository.Snapshots, snapshot, prefix + "/zzz")).Should().BeNull();
        (await SnapshotWalker.FindAsync(repo.Repository.Snapshots, snapshot, "/"))!.Subtree.Should().Be(snapshot.Tree);
    }

    [Fact]
    public async Task Diff_reports_added_removed_and_changed_paths()
    {
        using var source = new TempDirectory();
        var root = source.Sub("d");
        Directory.CreateDirectory(Path.Combine(root, "same/inner"));
        Directory.CreateDirectory(Path.Combine(root, "gone"));
        File.WriteAllText(Path.Combine(root, "same/inner/x"), "x");
        File.WriteAllText(Path.Combine(root, "gone/y"), "y");
        File.WriteAllText(Path.Combine(root, "edit"), "before");
        File.WriteAllText(Path.Combine(root, "chmod"), "mode");
        File.WriteAllText(Path.Combine(root, "kind"), "file first");
        await using var repo = await TestRepository.CreateAsync();
        var older = (await repo.BackupAsync(root)).Snapshot;

        Directory.Delete(Path.Combine(root, "gone"), recursive: true);
        File.WriteAllText(Path.Combine(root, "edit"), "after, longer");
        File.SetUnixFileMode(Path.Combine(root, "chmod"), UnixFileMode.UserRead);
        File.Delete(Path.Combine(root, "kind"));
        Directory.CreateDirectory(Path.Combine(root, "kind"));
        File.WriteAllText(Path.Combine(root, "kind/z"), "z");
        Directory.CreateDirectory(Path.Combine(root, "new"));
        File.WriteAllText(Path.Combine(root, "new/n"), "n");
        var newer = (await repo.BackupAsync(root)).Snapshot;

        var changes = new List<SnapshotChange>();
        await foreach (var change in SnapshotDiff.CompareAsync(repo.Repository.Snapshots, older, newer))
        {
            changes.Add(change);
        }

        var prefix = root.TrimStart('/') + "/";
        var relevant = changes.Where(c => c.Path.StartsWith(prefix, StringComparison.Ordinal)).Select(c => (c.Path[prefix.Length..], c.Kind)).ToList();
        relevant.Should().Equal(
            ("chmod", SnapshotChangeKind.Changed),
            ("edit", SnapshotChangeKind.Changed),
            ("gone", SnapshotChangeKind.Removed),
            ("gone/y", SnapshotChangeKind.Removed),
            ("kind", SnapshotChangeKind.Changed),
            ("kind/z", SnapshotChangeKind.Added),
            ("new", SnapshotChangeKind.Added),
            ("new/n", SnapshotChangeKind.Added));
        changes.Single(c => c.Path.EndsWith("/edit", StringComparison.Ordinal)).ContentChanged.Should().BeTrue();
        changes.Single(c => c.Path.EndsWith("/chmod", StringComparison.Ordinal)).ContentChanged.Should().BeFalse();

        var none = new List<SnapshotChange>();
        await foreach (var change in SnapshotDiff.CompareAsync(repo.Repository.Snapshots, newer, newer))
        {
            none.Add(change);
        }

        none.Should().BeEmpty();
    }

    [Fact]
    public async Task Tar_dump_contains_the_expected_entries_and_content()
    {
        using var source = new TempDirectory();
        var root = source.Sub("t");
        Directory.CreateDirectory(Path.Combine(root, "dir/empty"));
        var big = new byte[3_000_000];
        new Random(7).NextBytes(big);
        File.WriteAllBytes(Path.Combine(root, "dir/big.bin"), big);
        File.WriteAllText(Path.Combine(root, "small.txt"), "small");
        File.CreateSymbolicLink(Path.Combine(root, "link"), "small.txt");
        Shell.Run("ln", Path.Combine(root, "small.txt"), Path.Combine(root, "small-hard.txt"));
        File.SetUnixFileMode(Path.Combine(root, "small.txt"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await using var repo = await TestRepository.CreateAsync();
        var snapshot = (await repo.BackupAsync(root)).Snapshot;
        var prefix = root.TrimStart('/');

        using var whole = new MemoryStream();
        await SnapshotDumper.WriteTarAsync(repo.Repository, snapshot, null, whole);
        whole.Position = 0;
        var entries = new Dictionary<string, (TarEntryType Type, string LinkName, UnixFileMode Mode, byte[]? Data)>();
        using (var reader = new TarReader(whole))
        {
            while (await reader.GetNextEntryAsync(copyData: true) is { } entry)
            {
                byte[]? data = null;
                if (entry.DataStream is { } stream)
                {
                    using var copy = new MemoryStream();
                    await stream.CopyToAsync(copy);
                    data = copy.ToArray();
                }

                entries[entry.Name.TrimEnd('/')] = (entry.EntryType, entry.LinkName, entry.Mode, data);
            }
        }

        entries.Should().ContainKey(prefix.Split('/')[0]);
        entries[prefix + "/dir"].Type.Should().Be(TarEntryType.Directory);
        entries[prefix + "/dir/empty"].Type.Should().Be(TarEntryType.Directory);
        entries[prefix + "/dir/big.bin"].Data.Should().Equal(big);
        entries[prefix + "/link"].Type.Should().Be(TarEntryType.SymbolicLink);
        entries[prefix + "/link"].LinkName.Should().Be("small.txt");
        entries[prefix + "/small-hard.txt"].Type.Should().Be(TarEntryType.RegularFile);
        entries[prefix + "/small.txt"].Type.Should().Be(TarEntryType.HardLink);
        entries[prefix + "/small.txt"].LinkName.Should().Be(prefix + "/small-hard.txt");
        entries[prefix + "/small-hard.txt"].Mode.Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);

        using var subtree = new MemoryStream();
        await SnapshotDumper.WriteTarAsync(repo.Repository, snapshot, "/" + prefix + "/dir", subtree);
        subtree.Position = 0;
        var names = new List<string>();
        using (var reader = new TarReader(subtree))
        {
            while (await reader.GetNextEntryAsync() is { } entry)
            {
                names.Add(entry.Name.TrimEnd('/'));
            }
        }

        names.Should().Equal(prefix + "/dir", prefix + "/dir/big.bin", prefix + "/dir/empty");

        using var file = new MemoryStream();
        await SnapshotDumper.WriteFileAsync(repo.Repository, snapshot, prefix + "/dir/big.bin", file);
        file.ToArray().Should().Equal(big);

        var missing = () => SnapshotDumper.WriteFileAsync(repo.Repository, snapshot, prefix + "/dir", Stream.Null);
        await missing.Should().ThrowAsync<FileNotFoundException>();
    }
}
