using System.Formats.Tar;
using System.Text.Json;

namespace Backup.Cli.Tests;

public sealed class DirectoryTests : IDisposable
{
    private readonly CliRunner _cli = new();

    public DirectoryTests()
    {
        Directory.CreateDirectory(_cli.PathOf("src/sub"));
        File.WriteAllText(_cli.PathOf("src/a.txt"), "alpha");
        File.WriteAllText(_cli.PathOf("src/sub/b.txt"), "bravo");
        File.WriteAllText(_cli.PathOf("src/skip.log"), "noise");
    }

    /// <summary>The snapshot path of a source path: its absolute path without the leading '/'.</summary>
    private string SnapshotPath(string relative) => _cli.PathOf(relative).Replace('\\', '/').TrimStart('/');

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task A_directory_is_backed_up_and_listed()
    {
        await _cli.InitAsync();

        var create = await _cli.RunAsync("create", "src", "--exclude", "*.log", "--json");
        var ls = await _cli.RunAsync("ls", "latest", SnapshotPath("src"), "--json");
        var human = await _cli.RunAsync("ls", "latest");

        create.ExitCode.Should().Be(0, create.Stderr);
        var snapshot = JsonDocument.Parse(create.Stdout).RootElement.GetProperty("snapshot");
        snapshot.GetProperty("sourceKind").GetString().Should().Be("files");
        snapshot.GetProperty("paths")[0].GetString().Should().Be(_cli.PathOf("src"));
        ls.ExitCode.Should().Be(0, ls.Stderr);
        var entries = JsonDocument.Parse(ls.Stdout).RootElement.EnumerateArray().ToDictionary(e => e.GetProperty("path").GetString()!, e => e);
        entries.Keys.Should().BeEquivalentTo([SnapshotPath("src"), SnapshotPath("src/a.txt"), SnapshotPath("src/sub"), SnapshotPath("src/sub/b.txt")]);
        entries[SnapshotPath("src/a.txt")].GetProperty("type").GetString().Should().Be("file");
        entries[SnapshotPath("src/a.txt")].GetProperty("size").GetInt64().Should().Be(5);
        entries[SnapshotPath("src/sub")].GetProperty("type").GetString().Should().Be("directory");
        human.Stdout.Should().Contain("/" + SnapshotPath("src/sub/b.txt"));
    }

    [Fact]
    public async Task Unreadable_paths_make_a_partial_backup_with_exit_3()
    {
        await _cli.InitAsync();

        var create = await _cli.RunAsync("create", "src", "does-not-exist");

        create.ExitCode.Should().Be(3, create.Stderr);
        create.Stderr.Should().Contain(_cli.PathOf("does-not-exist")).And.Contain("does not exist");
        var list = JsonDocument.Parse((await _cli.RunAsync("snapshots", "--json")).Stdout).RootElement;
        list[0].GetProperty("partial").GetBoolean().Should().BeTrue();
    }

    [Fact]
    public async Task Diff_shows_added_removed_and_modified_files()
    {
        await _cli.InitAsync();
        (await _cli.RunAsync("create", "src")).ExitCode.Should().Be(0);
        File.WriteAllText(_cli.PathOf("src/a.txt"), "alpha, changed");
        File.Delete(_cli.PathOf("src/skip.log"));
        File.WriteAllText(_cli.PathOf("src/sub/new.txt"), "new");
        (await _cli.RunAsync("create", "src")).ExitCode.Should().Be(0);
        var ids = JsonDocument.Parse((await _cli.RunAsync("snapshots", "--json")).Stdout).RootElement.EnumerateArray().Select(s => s.GetProperty("shortId").GetString()!).ToList();

        var diff = await _cli.RunAsync("diff", ids[0], ids[1], "--json");
        var human = await _cli.RunAsync("diff", ids[0], ids[1]);

        diff.ExitCode.Should().Be(0, diff.Stderr);
        var json = JsonDocument.Parse(diff.Stdout).RootElement;
        var changes = json.GetProperty("changes").EnumerateArray().ToDictionary(c => c.GetProperty("path").GetString()!, c => c.GetProperty("change").GetString());
        changes[SnapshotPath("src/a.txt")].Should().Be("modified");
        changes[SnapshotPath("src/skip.log")].Should().Be("removed");
        changes[SnapshotPath("src/sub/new.txt")].Should().Be("added");
        json.GetProperty("added").GetInt32().Should().Be(1);
        json.GetProperty("removed").GetInt32().Should().Be(1);
        human.Stdout.Should().Contain("+    /" + SnapshotPath("src/sub/new.txt")).And.Contain("-    /" + SnapshotPath("src/skip.log")).And.Contain("M    /" + SnapshotPath("src/a.txt"));
    }

    [Fact]
    public async Task Dump_writes_a_file_or_a_tar_archive_to_stdout()
    {
        await _cli.InitAsync();
        (await _cli.RunAsync("create", "src")).ExitCode.Should().Be(0);

        var file = await _cli.RunAsync("dump", "latest", "/" + SnapshotPath("src/sub/b.txt"));
        var tar = await _cli.RunAsync("dump", "latest", SnapshotPath("src/sub"));
        var missing = await _cli.RunAsync("dump", "latest", "no/such/path");

        file.ExitCode.Should().Be(0, file.Stderr);
        file.Stdout.Should().Be("bravo");
        tar.ExitCode.Should().Be(0, tar.Stderr);
        var names = new List<string>();
        using (var reader = new TarReader(new MemoryStream(tar.StdoutBytes)))
        {
            while (reader.GetNextEntry() is { } entry)
            {
                names.Add(entry.Name.TrimEnd('/'));
            }
        }

        names.Should().Contain([SnapshotPath("src/sub"), SnapshotPath("src/sub/b.txt")]);
        missing.ExitCode.Should().Be(1);
        ErrorTests.ShouldBeOneErrorLine(missing, "no/such/path");
    }
}
