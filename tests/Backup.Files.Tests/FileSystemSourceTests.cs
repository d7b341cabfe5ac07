using System.IO.Abstractions;
using System.IO.Abstractions.TestingHelpers;
using Backup.Core.Snapshots;
using Backup.Core.Sources;
using Backup.Core.Sources.FileSystem;

namespace Backup.Files.Tests;

public class FileSystemSourceTests
{
    private static async Task<(List<SourceEntry> Entries, SourceContext Context)> ReadAsync(FileSystemSource source)
    {
        var context = new SourceContext();
        var entries = new List<SourceEntry>();
        await foreach (var entry in source.ReadEntriesAsync(context))
        {
            entries.Add(entry);
        }

        return (entries, context);
    }

    /// <summary>The contract of IBackupSource: depth-first, a directory before its contents, contents contiguous, siblings sorted ordinal, each path once.</summary>
    private static void ShouldFollowTheOrderingContract(List<SourceEntry> entries)
    {
        entries.Select(e => e.Path).Should().OnlyHaveUniqueItems();
        var open = new Stack<string>();
        var lastChild = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            var slash = entry.Path.LastIndexOf('/');
            var parent = slash < 0 ? string.Empty : entry.Path[..slash];
            while (open.Count > 0 && open.Peek() != parent)
            {
                open.Pop();
            }

            (parent.Length == 0 || open.Count > 0).Should().BeTrue($"'{entry.Path}' must come while its parent is open");
            if (lastChild.TryGetValue(parent, out var previous))
            {
                string.CompareOrdinal(previous, entry.Metadata.Name).Should().BeNegative($"siblings in '{parent}' must be sorted");
            }

            lastChild[parent] = entry.Metadata.Name;
            entry.Metadata.Name.Should().Be(entry.Path[(slash + 1)..]);
            if (entry.Metadata.Type == NodeType.Directory)
            {
                open.Push(entry.Path);
            }
        }
    }

    [Fact]
    public async Task Several_paths_merge_into_one_sorted_tree_that_mirrors_absolute_locations()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Sub("b/inner"));
        Directory.CreateDirectory(temp.Sub("a"));
        Directory.CreateDirectory(temp.Sub("c"));
        File.WriteAllText(temp.Sub("b/inner/f.txt"), "x");
        File.WriteAllText(temp.Sub("a/B"), "x");
        File.WriteAllText(temp.Sub("a/a"), "x");
        File.WriteAllText(temp.Sub("c/z"), "x");

        var source = new FileSystemSource([temp.Sub("c"), temp.Sub("a") + "/", temp.Sub("b"), temp.Sub("b/inner"), temp.Sub("a")]);
        source.Kind.Should().Be("files");
        source.Paths.Should().Equal(temp.Sub("a"), temp.Sub("b"), temp.Sub("b/inner"), temp.Sub("c"));

        var (entries, context) = await ReadAsync(source);
        context.Problems.Should().BeEmpty();
        ShouldFollowTheOrderingContract(entries);
        var root = temp.Path.TrimStart('/');
        var expected = new List<string>();
        var parts = root.Split('/');
        for (var i = 1; i <= parts.Length; i++)
        {
            expected.Add(string.Join('/', parts.Take(i)));
        }

        expected.AddRange(new[] { "a", "a/B", "a/a", "b", "b/inner", "b/inner/f.txt", "c", "c/z" }.Select(p => root + "/" + p));
        entries.Select(e => e.Path).Should().Equal(expected);
        entries.Take(parts.Length).Should().OnlyContain(e => e.Metadata.Type == NodeType.Directory && e.Metadata.MtimeNs > 0);
    }

    [Fact]
    public async Task A_name_that_is_not_valid_UTF8_is_reported_as_such_and_the_rest_is_read()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.Sub("good.txt"), "x");
        Shell.Run("/bin/sh", "-c", "printf x > \"$1/$(printf 'bad\\377name')\"", "sh", temp.Path);

        var (entries, context) = await ReadAsync(new FileSystemSource([temp.Path]));

        entries.Should().Contain(e => e.Metadata.Name == "good.txt");
        context.Problems.Should().ContainSingle().Which.Reason.Should().Contain("not valid UTF-8").And.Contain("rename it").And.Contain("exclude it");
    }

    [Theory]
    [InlineData("bad*")]
    [InlineData("/bad*")]
    [InlineData("bad*/")]
    public async Task A_name_that_is_not_valid_UTF8_and_is_excluded_is_not_a_problem(string pattern)
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.Sub("good.txt"), "x");
        Shell.Run("/bin/sh", "-c", "mkdir \"$1/$(printf 'bad\\377dir')\" && printf x > \"$1/$(printf 'bad\\377name')\"", "sh", temp.Path);

        var (entries, context) = await ReadAsync(new FileSystemSource([temp.Path], new FileSystemSourceOptions { Excludes = [pattern] }));

        entries.Should().Contain(e => e.Metadata.Name == "good.txt");
        context.Problems.Should().BeEmpty("an excluded name is not the backup's to read, whatever its bytes");
        Shell.Run("/bin/sh", "-c", "rm -rf \"$1\"/bad*", "sh", temp.Path); // .NET cannot name them to clean up
    }

    [Fact]
    public async Task Metadata_covers_files_links_special_files_and_sparse_files()
    {
        using var temp = new TempDirectory();
        var file = temp.Sub("file");
        File.WriteAllBytes(file, new byte[1234]);
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.CreateSymbolicLink(temp.Sub("link"), "file");
        File.CreateSymbolicLink(temp.Sub("dangling"), "/nonexistent/target");
        Shell.Run("mkfifo", temp.Sub("fifo"));
        using (var sparse = new FileStream(temp.Sub("sparse"), FileMode.CreateNew))
        {
            sparse.SetLength(16 << 20);
            sparse.Position = 8 << 20;
            sparse.Write("data"u8);
        }

        var (entries, context) = await ReadAsync(new FileSystemSource([temp.Path]));
        context.Problems.Should().BeEmpty();
        var byName = entries.ToDictionary(e => e.Metadata.Name);
        var f = byName["file"].Metadata;
        f.Type.Should().Be(NodeType.File);
        f.Size.Should().Be(1234);
        (f.Mode & 0xFFF).Should().Be(0x180);
        (f.Mode & 0xF000).Should().Be(0x8000);
        f.Inode.Should().NotBe(0UL);
        f.Device.Should().NotBe(0UL);
        f.Links.Should().Be(1);
        f.CtimeNs.Should().BePositive();
        f.MtimeNs.Should().Be((File.GetLastWriteTimeUtc(file).Ticks - DateTime.UnixEpoch.Ticks) * 100 + (f.MtimeNs % 100));
        f.Sparse.Should().BeFalse();
        byName["file"].OpenContentAsync.Should().NotBeNull();
        byName["file"].RestatAsync.Should().NotBeNull();
        (await byName["file"].RestatAsync!(default))!.Size.Should().Be(1234);

        byName["link"].Metadata.Type.Should().Be(NodeType.Symlink);
        byName["link"].Metadata.LinkTarget.Should().Be("file");
        byName["link"].OpenContentAsync.Should().BeNull();
        byName["dangling"].Metadata.LinkTarget.Should().Be("/nonexistent/target");
        byName["fifo"].Metadata.Type.Should().Be(NodeType.Special);
        (byName["fifo"].Metadata.Mode & 0xF000).Should().Be(0x1000);
        byName["fifo"].OpenContentAsync.Should().BeNull();
        byName["sparse"].Metadata.Sparse.Should().BeTrue();
        byName["sparse"].Metadata.Size.Should().Be(16 << 20);
    }

    [Fact]
    public async Task Excludes_apply_relative_to_each_backed_up_path()
    {
        using var temp = new TempDirectory();
        foreach (var dir in new[] { "build", "src/build", "node_modules", "src/node_modules", "x/tmp", "keep" })
        {
            Directory.CreateDirectory(temp.Sub(dir));
            File.WriteAllText(temp.Sub(dir + "/f.txt"), "x");
        }

        foreach (var file in new[] { "a.log", "keep.log", "src/b.log", "src/main.cs" })
        {
            File.WriteAllText(temp.Sub(file), "x");
        }

        var options = new FileSystemSourceOptions { Excludes = ["*.log", "/build", "node_modules/", "**/tmp", "!keep.log"] };
        var (entries, context) = await ReadAsync(new FileSystemSource([temp.Path], options));
        context.Problems.Should().BeEmpty();
        var prefix = temp.Path.TrimStart('/') + "/";
        var paths = entries.Where(e => e.Path.StartsWith(prefix, StringComparison.Ordinal)).Select(e => e.Path[prefix.Length..]).ToList();
        paths.Should().BeEquivalentTo(["keep", "keep/f.txt", "keep.log", "src", "src/build", "src/build/f.txt", "src/main.cs", "x"]);
    }

    [Fact]
    public async Task A_missing_path_is_reported_and_the_rest_is_read()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.Sub("here"), "x");
        var missing = temp.Sub("not-there");
        var (entries, context) = await ReadAsync(new FileSystemSource([temp.Sub("here"), missing]));
        context.Problems.Should().ContainSingle(p => p.Path == missing);
        entries.Should().Contain(e => e.Path.EndsWith("/here", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Symlinks_are_followed_only_when_asked_and_loops_are_reported()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.Sub("real"));
        File.WriteAllText(temp.Sub("real/f"), "x");
        Directory.CreateSymbolicLink(temp.Sub("real/loop"), temp.Sub("real"));
        Directory.CreateSymbolicLink(temp.Sub("via"), temp.Sub("real"));

        var (plain, _) = await ReadAsync(new FileSystemSource([temp.Path]));
        plain.Single(e => e.Metadata.Name == "via").Metadata.Type.Should().Be(NodeType.Symlink);

        var (followed, context) = await ReadAsync(new FileSystemSource([temp.Path], new FileSystemSourceOptions { FollowSymlinks = true }));
        ShouldFollowTheOrderingContract(followed);
        followed.Single(e => e.Metadata.Name == "via").Metadata.Type.Should().Be(NodeType.Directory);
        followed.Should().Contain(e => e.Path.EndsWith("/via/f", StringComparison.Ordinal));
        context.Problems.Should().NotBeEmpty().And.OnlyContain(p => p.Reason.Contains("loop"));
    }

    [Fact]
    public async Task One_file_system_records_a_mount_point_but_not_its_contents()
    {
        // /proc is a separate file system on Linux; /proc/self/... is not needed, the mount point itself is enough.
        var options = new FileSystemSourceOptions { OneFileSystem = true, Excludes = ["/*", "!/proc"] };
        var (entries, _) = await ReadAsync(new FileSystemSource(["/"], options));
        entries.Should().Contain(e => e.Path == "proc" && e.Metadata.Type == NodeType.Directory);
        entries.Should().NotContain(e => e.Path.StartsWith("proc/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_mock_file_system_is_read_through_IFileSystem()
    {
        var fs = new MockFileSystem(new Dictionary<string, MockFileData>
        {
            ["/data/b.txt"] = new("bbb"),
            ["/data/a/x.bin"] = new([1, 2, 3]),
            ["/data/empty"] = new MockDirectoryData(),
        });
        var (entries, context) = await ReadAsync(new FileSystemSource(["/data"], fileSystem: fs));
        context.Problems.Should().BeEmpty();
        ShouldFollowTheOrderingContract(entries);
        entries.Select(e => e.Path).Should().Equal("data", "data/a", "data/a/x.bin", "data/b.txt", "data/empty");
        entries.Single(e => e.Path == "data/b.txt").Metadata.Size.Should().Be(3);
        entries.Single(e => e.Path == "data/empty").Metadata.Type.Should().Be(NodeType.Directory);
    }

    /// <summary>A mock file system where one directory cannot be listed, as if its permissions forbade it.</summary>
    private sealed class LockedDirectoryFileSystem : MockFileSystem
    {
        private readonly LockedDirectory? _directory;

        public LockedDirectoryFileSystem(IDictionary<string, MockFileData> files, string locked) : base(files) =>
            _directory = new LockedDirectory(this, locked);

        // The base constructor already uses Directory, before the override's field is set.
        public override IDirectory Directory => _directory ?? base.Directory;
    }

    private sealed class LockedDirectory(MockFileSystem fileSystem, string locked) : MockDirectory(fileSystem, "/")
    {
        public override IEnumerable<string> EnumerateFileSystemEntries(string path, string searchPattern, EnumerationOptions enumerationOptions) =>
            path == locked ? throw new UnauthorizedAccessException($"Access to the path '{path}' is denied.") : base.EnumerateFileSystemEntries(path, searchPattern, enumerationOptions);
    }

    [Fact]
    public async Task An_unreadable_directory_is_reported_kept_as_an_entry_and_the_walk_goes_on()
    {
        var fs = new LockedDirectoryFileSystem(new Dictionary<string, MockFileData>
        {
            ["/data/locked/hidden.txt"] = new("h"),
            ["/data/open/visible.txt"] = new("v"),
        }, "/data/locked");
        await using var repo = await TestRepository.CreateAsync();

        var result = await repo.BackupAsync(new FileSystemSource(["/data"], fileSystem: fs));

        result.Problems.Should().ContainSingle(p => p.Path == "/data/locked" && p.Reason.Contains("denied"));
        result.Snapshot.Partial.Should().BeTrue();
        (await SnapshotWalker.FindAsync(repo.Repository.Snapshots, result.Snapshot, "data/locked")).Should().NotBeNull();
        (await SnapshotWalker.FindAsync(repo.Repository.Snapshots, result.Snapshot, "data/open/visible.txt")).Should().NotBeNull();
    }
}
