namespace Backup.Cli.Tests;

/// <summary>The snapshots table as an operator reads it: which paths a snapshot holds, told apart even when they contain spaces.</summary>
public sealed class SnapshotsTableTests : IDisposable
{
    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Times_are_shown_in_the_zone_of_the_machine_that_lists_them_so_hosts_in_other_zones_sort_as_shown()
    {
        await _cli.InitAsync();
        Directory.CreateDirectory(_cli.PathOf("data"));
        // Backed up on a machine in New York, listed on one in Tokyo.
        var create = await _cli.RunAsync(["create", "data", "--json"], stdin: null, new() { ["TZ"] = "America/New_York" });
        create.ExitCode.Should().Be(0, create.Stderr);
        var recorded = System.Text.Json.JsonDocument.Parse(create.Stdout).RootElement.GetProperty("snapshot").GetProperty("time").GetDateTimeOffset();

        var snapshots = await _cli.RunAsync(["snapshots"], stdin: null, new() { ["TZ"] = "Asia/Tokyo" });

        snapshots.ExitCode.Should().Be(0, snapshots.Stderr);
        var tokyo = TimeZoneInfo.ConvertTime(recorded, TimeZoneInfo.FindSystemTimeZoneById("Asia/Tokyo"));
        snapshots.Stdout.Should().Contain(tokyo.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task An_incremental_and_a_differential_show_the_snapshot_they_compared_against()
    {
        await _cli.InitAsync();
        Directory.CreateDirectory(_cli.PathOf("data"));
        await File.WriteAllTextAsync(_cli.PathOf("data/a"), "a");
        await File.WriteAllTextAsync(_cli.PathOf("data/b"), "b");
        var full = await CreateAsync("full");
        await File.WriteAllTextAsync(_cli.PathOf("data/a"), "changed");
        var incremental = await CreateAsync("incremental");
        var differential = await CreateAsync("differential");

        var snapshots = await _cli.RunAsync("snapshots");

        snapshots.ExitCode.Should().Be(0, snapshots.Stderr);
        var lines = snapshots.Stdout.Split('\n');
        var parent = lines[0].IndexOf("Parent", StringComparison.Ordinal);
        parent.Should().BePositive("the table has a Parent column: {0}", snapshots.Stdout);
        string ParentOf(string id) => lines.Single(l => l.StartsWith(id[..8], StringComparison.Ordinal))[parent..].Split(' ')[0];
        ParentOf(full).Should().BeEmpty();
        ParentOf(incremental).Should().Be(full[..8]);
        ParentOf(differential).Should().Be(full[..8], "a differential compares against the latest full, not the incremental after it");
    }

    [Fact]
    public async Task A_differential_with_no_full_before_it_says_it_ran_as_a_full_backup()
    {
        await _cli.InitAsync();
        Directory.CreateDirectory(_cli.PathOf("data"));
        await File.WriteAllTextAsync(_cli.PathOf("data/a"), "a");

        var first = await _cli.RunAsync("create", "data", "--level", "differential");
        var second = await _cli.RunAsync("create", "data", "--level", "differential");

        first.ExitCode.Should().Be(0, first.Stderr);
        first.Stdout.Should().Contain("(full)").And.Contain("note: ran as a full backup").And.Contain("earlier full snapshot");
        second.ExitCode.Should().Be(0, second.Stderr);
        second.Stdout.Should().Contain("(differential)").And.NotContain("note:");
    }

    private async Task<string> CreateAsync(string level)
    {
        var create = await _cli.RunAsync("create", "data", "--level", level, "--json");
        create.ExitCode.Should().Be(0, create.Stderr);
        var snapshot = System.Text.Json.JsonDocument.Parse(create.Stdout).RootElement.GetProperty("snapshot");
        snapshot.GetProperty("level").GetString().Should().Be(level);
        return snapshot.GetProperty("id").GetString()!;
    }

    [Fact]
    public async Task Each_path_of_a_snapshot_is_on_a_line_of_its_own_under_the_paths_column()
    {
        await _cli.InitAsync();
        string[] names = ["My Documents", "photos", "a\nforged"];
        foreach (var name in names)
        {
            Directory.CreateDirectory(_cli.PathOf(name));
            await File.WriteAllTextAsync(Path.Combine(_cli.PathOf(name), "f"), name);
        }

        var create = await _cli.RunAsync("create", "My Documents", "photos", "a\nforged", "--tag", "nightly");
        create.ExitCode.Should().Be(0, create.Stderr);

        var snapshots = await _cli.RunAsync("snapshots");

        snapshots.ExitCode.Should().Be(0, snapshots.Stderr);
        var lines = snapshots.Stdout.Split('\n');
        var header = lines[0];
        var column = header.IndexOf("Paths", StringComparison.Ordinal);
        var row = Array.FindIndex(lines, line => line.Contains("nightly", StringComparison.Ordinal));
        row.Should().BePositive(snapshots.Stdout);
        var indent = new string(' ', column);
        lines[row][column..].Should().StartWith(_cli.PathOf("My Documents") + "  ", "the first path is on the snapshot's line, in the paths column:\n" + snapshots.Stdout);
        lines[row + 1].Should().Be(indent + _cli.PathOf(@"a\nforged"), "the next path starts a line of its own under the first, its newline escaped:\n" + snapshots.Stdout);
        lines[row + 2].Should().Be(indent + _cli.PathOf("photos"), snapshots.Stdout);
        lines[row + 3].Should().NotStartWith(indent, "three paths, three lines:\n" + snapshots.Stdout);
    }
}
