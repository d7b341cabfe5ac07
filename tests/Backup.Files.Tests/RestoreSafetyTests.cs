using System.Formats.Tar;
using System.Text;
using Backup.Core.Repository;
using Backup.Core.Restore;
using Backup.Core.Snapshots;
using Backup.Core;
using Backup.Core.Repository.Blobs;

namespace Backup.Files.Tests;

public class RestoreSafetyTests
{
    /// <summary>Stores trees built by hand, as an attacker who controls the repository could.</summary>
    private sealed class CraftedSnapshot(BackupRepository repository, RepositoryWriter writer)
    {
        public async Task<TreeNode> FileAsync(string name, string content)
        {
            var bytes = Encoding.UTF8.GetBytes(content);
            var id = await writer.AddBlobAsync(bytes, BlobType.Data);
            return new TreeNode { Name = name, Type = NodeType.File, Mode = 0x81A4, Size = bytes.Length, Content = [id], MtimeNs = 1_000_000_000 };
        }

        public async Task<TreeNode> DirectoryAsync(string name, params TreeNode[] children) =>
            new() { Name = name, Type = NodeType.Directory, Mode = 0x41ED, Subtree = await TreeAsync(children), MtimeNs = 1_000_000_000 };

        public static TreeNode Symlink(string name, string target) => new() { Name = name, Type = NodeType.Symlink, Mode = 0xA1FF, LinkTarget = target };

        public async Task<BlobId> TreeAsync(params TreeNode[] nodes) =>
            await writer.AddBlobAsync(TreeCodec.Serialize(new Tree(nodes)), BlobType.Tree);

        public async Task<Snapshot> SaveAsync(params TreeNode[] rootNodes)
        {
            var tree = await TreeAsync(rootNodes);
            await writer.CompleteAsync();
            return await repository.Snapshots.SaveAsync(new Snapshot { Hostname = "attacker", SourceKind = "files", Tree = tree, Time = DateTimeOffset.Now });
        }
    }

    private static async Task<Snapshot> CraftAsync(BackupRepository repository, Func<CraftedSnapshot, Task<TreeNode[]>> build)
    {
        await using var writer = repository.CreateWriter(2);
        var crafted = new CraftedSnapshot(repository, writer);
        return await crafted.SaveAsync(await build(crafted));
    }

    [Fact]
    public async Task Unsafe_names_and_a_symlink_shadowed_by_a_directory_write_nothing_outside_the_target()
    {
        using var outside = new TempDirectory();
        using var target = new TempDirectory();
        await using var repo = await TestRepository.CreateAsync();
        var snapshot = await CraftAsync(repo.Repository, async c =>
        [
            await c.FileAsync("..", "dot-dot file"),
            await c.DirectoryAsync("..", await c.FileAsync("escaped", "via dot-dot directory")),
            await c.FileAsync(".", "dot"),
            await c.FileAsync("", "empty"),
            await c.FileAsync("a/b", "slash"),
            await c.FileAsync("../../escaped-too", "slash dot-dot"),
            await c.FileAsync("nul\0byte", "nul"),
            CraftedSnapshot.Symlink("link", outside.Path),
            await c.DirectoryAsync("link", await c.FileAsync("x", "through the link")),
            await c.FileAsync("link/x", "through the link, in one name"),
            await c.FileAsync("ok", "fine"),
        ]);

        var result = await new RestoreService(repo.Repository).RestoreAsync(snapshot, target.Path);

        Directory.EnumerateFileSystemEntries(outside.Path, "*", SearchOption.AllDirectories).Should().BeEmpty();
        File.Exists(Path.Combine(Path.GetDirectoryName(target.Path)!, "escaped")).Should().BeFalse();
        File.ReadAllText(target.Sub("ok")).Should().Be("fine");
        new FileInfo(target.Sub("link")).LinkTarget.Should().Be(outside.Path);
        Directory.EnumerateFileSystemEntries(target.Path).Select(Path.GetFileName).Should().BeEquivalentTo(["ok", "link"]);
        result.Problems.Should().HaveCount(9);
        result.Problems.Should().Contain(p => p.Path == "link" && p.Reason.Contains("same name"));
        result.Problems.Should().Contain(p => p.Reason.Contains("\\0"));
    }

    [Fact]
    public async Task A_symlink_shadowed_by_a_directory_is_dumped_once_so_no_extractor_writes_through_it()
    {
        using var outside = new TempDirectory();
        await using var repo = await TestRepository.CreateAsync();
        var snapshot = await CraftAsync(repo.Repository, async c =>
        [
            await c.DirectoryAsync("d",
                CraftedSnapshot.Symlink("link", outside.Path),
                await c.DirectoryAsync("link", await c.FileAsync("x", "through the link")),
                await c.FileAsync("link", "a third entry of the same name")),
            await c.FileAsync("ok", "fine"),
        ]);

        using var tar = new MemoryStream();
        await SnapshotDumper.WriteTarAsync(repo.Repository, snapshot, null, tar);

        tar.Position = 0;
        var names = new List<(string Name, TarEntryType Type)>();
        using (var reader = new TarReader(tar, leaveOpen: true))
        {
            while (await reader.GetNextEntryAsync() is { } entry)
            {
                names.Add((entry.Name.TrimEnd('/'), entry.EntryType));
            }
        }

        // As a restore does: the first entry of a name is kept, and a later one of the same name is left out with
        // everything below it, so an extractor that follows links it made itself (Python's tarfile without a filter
        // does) cannot be led outside its target.
        names.Should().Equal([("d", TarEntryType.Directory), ("d/link", TarEntryType.SymbolicLink), ("ok", TarEntryType.RegularFile)]);
    }

    [Fact]
    public async Task Existing_symlinks_in_the_target_are_never_followed()
    {
        using var outside = new TempDirectory();
        using var target = new TempDirectory();
        File.WriteAllText(outside.Sub("victim"), "original");
        Directory.CreateSymbolicLink(target.Sub("dir"), outside.Path);
        File.CreateSymbolicLink(target.Sub("file.txt"), outside.Sub("victim"));
        await using var repo = await TestRepository.CreateAsync();
        var snapshot = await CraftAsync(repo.Repository, async c =>
        [
            await c.DirectoryAsync("dir", await c.FileAsync("victim", "overwritten through a directory link")),
            await c.FileAsync("file.txt", "overwritten through a file link"),
        ]);
        var service = new RestoreService(repo.Repository);

        var skipped = await service.RestoreAsync(snapshot, target.Path, new RestoreOptions { Existing = ExistingFileBehavior.Skip });
        skipped.Problems.Should().ContainSingle(p => p.Path == "dir");
        File.ReadAllText(outside.Sub("victim")).Should().Be("original");
        new FileInfo(target.Sub("file.txt")).LinkTarget.Should().NotBeNull();

        var failing = () => service.RestoreAsync(snapshot, target.Path, new RestoreOptions { Existing = ExistingFileBehavior.Fail });
        await failing.Should().ThrowAsync<IOException>();
        File.ReadAllText(outside.Sub("victim")).Should().Be("original");

        var overwritten = await service.RestoreAsync(snapshot, target.Path, new RestoreOptions { Existing = ExistingFileBehavior.Overwrite });
        overwritten.Problems.Should().BeEmpty();
        File.ReadAllText(outside.Sub("victim")).Should().Be("original");
        Directory.EnumerateFileSystemEntries(outside.Path).Should().ContainSingle();
        new DirectoryInfo(target.Sub("dir")).LinkTarget.Should().BeNull();
        new FileInfo(target.Sub("file.txt")).LinkTarget.Should().BeNull();
        File.ReadAllText(target.Sub("dir/victim")).Should().Be("overwritten through a directory link");
        File.ReadAllText(target.Sub("file.txt")).Should().Be("overwritten through a file link");
    }

    [Fact]
    public async Task A_damaged_chunk_leaves_no_file_under_the_real_name_and_is_reported()
    {
        using var target = new TempDirectory();
        await using var repo = await TestRepository.CreateAsync();
        var snapshot = await CraftAsync(repo.Repository, async c =>
        {
            var good = await c.FileAsync("good", "good");
            var bad = (await c.FileAsync("bad", "bad")) with { Content = [repo.Repository.Blobs.ComputeId("never stored"u8)] };
            return [bad, good];
        });

        var result = await new RestoreService(repo.Repository).RestoreAsync(snapshot, target.Path);
        result.Problems.Should().ContainSingle(p => p.Path == "bad");
        File.Exists(target.Sub("bad")).Should().BeFalse();
        File.ReadAllText(target.Sub("good")).Should().Be("good");
        Directory.EnumerateFileSystemEntries(target.Path).Should().HaveCount(1);
    }
}
