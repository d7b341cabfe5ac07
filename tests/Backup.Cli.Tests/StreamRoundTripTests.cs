using System.Text.Json;

namespace Backup.Cli.Tests;

public sealed class StreamRoundTripTests : IDisposable
{
    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Init_prints_the_repository_as_json()
    {
        var result = await _cli.RunAsync("init", "--json", "--compression", "gzip");

        result.ExitCode.Should().Be(0, result.Stderr);
        var json = JsonDocument.Parse(result.Stdout).RootElement;
        json.GetProperty("repositoryId").GetString().Should().HaveLength(32);
        json.GetProperty("compression").GetString().Should().Be("gzip");
        json.GetProperty("location").GetString().Should().Contain(_cli.Repository);
        File.Exists(Path.Combine(_cli.Repository, "config")).Should().BeTrue();
    }

    [Fact]
    public async Task A_piped_stream_is_backed_up_listed_and_restored()
    {
        await _cli.InitAsync();
        var data = new byte[300_000];
        new Random(3).NextBytes(data);

        var create = await _cli.RunAsync(["create", "--stdin", "--stdin-name", "db.dump", "--tag", "nightly", "--tag", "db", "--host", "server1", "--json"], data);
        var list = await _cli.RunAsync("snapshots", "--json");
        var restore = await _cli.RunAsync("restore", "latest", "--target", _cli.PathOf("out"), "--json");

        create.ExitCode.Should().Be(0, create.Stderr);
        var snapshot = JsonDocument.Parse(create.Stdout).RootElement.GetProperty("snapshot");
        snapshot.GetProperty("hostname").GetString().Should().Be("server1");
        snapshot.GetProperty("sourceKind").GetString().Should().Be("stream");
        snapshot.GetProperty("level").GetString().Should().Be("full");
        snapshot.GetProperty("tags").EnumerateArray().Select(t => t.GetString()).Should().Equal("nightly", "db");
        snapshot.GetProperty("statistics").GetProperty("totalBytes").GetInt64().Should().Be(data.Length);

        list.ExitCode.Should().Be(0, list.Stderr);
        var listed = JsonDocument.Parse(list.Stdout).RootElement;
        listed.GetArrayLength().Should().Be(1);
        listed[0].GetProperty("id").GetString().Should().Be(snapshot.GetProperty("id").GetString());
        listed[0].GetProperty("paths")[0].GetString().Should().Be("db.dump");

        restore.ExitCode.Should().Be(0, restore.Stderr);
        JsonDocument.Parse(restore.Stdout).RootElement.GetProperty("bytes").GetInt64().Should().Be(data.Length);
        File.ReadAllBytes(_cli.PathOf("out/db.dump")).Should().Equal(data);
    }

    [Fact]
    public async Task Human_output_is_a_table_and_stderr_has_no_progress_when_redirected()
    {
        await _cli.InitAsync();
        var create = await _cli.RunAsync(["create", "--stdin", "--stdin-name", "a.txt", "--tag", "t1"], "hello"u8.ToArray());

        var list = await _cli.RunAsync("snapshots");

        create.ExitCode.Should().Be(0);
        create.Stdout.Should().StartWith("Snapshot ").And.Contain("saved");
        create.Stderr.Should().BeEmpty("progress is drawn only on a terminal");
        list.Stdout.Should().Contain("ID").And.Contain("Host").And.Contain("a.txt").And.Contain("t1").And.Contain("1 snapshot(s)");
    }

    [Fact]
    public async Task Quiet_prints_nothing_on_success()
    {
        await _cli.InitAsync();

        var create = await _cli.RunAsync(["create", "--stdin", "--quiet"], "x"u8.ToArray());

        create.ExitCode.Should().Be(0);
        create.Stdout.Should().BeEmpty();
        create.Stderr.Should().BeEmpty();
    }

    [Fact]
    public async Task An_empty_stream_on_stdin_saves_no_snapshot_and_exits_1_saying_the_producer_likely_failed()
    {
        await _cli.InitAsync();

        // What 'pg_dump db | backup create --stdin' receives when pg_dump cannot sign in.
        var empty = await _cli.RunAsync(["create", "--stdin", "--stdin-name", "db.sql"], []);
        var list = await _cli.RunAsync("snapshots", "--json");

        empty.ExitCode.Should().Be(1, empty.Stderr);
        empty.Stderr.Should().StartWith("backup: error:").And.Contain("nothing arrived on stdin").And.Contain("no snapshot was saved");
        empty.Stdout.Should().BeEmpty();
        JsonDocument.Parse(list.Stdout).RootElement.GetArrayLength().Should().Be(0, "an empty stream must not pass for a backup");
    }

    [Fact]
    public async Task Snapshots_filter_by_tag_and_host()
    {
        await _cli.InitAsync();
        (await _cli.RunAsync(["create", "--stdin", "--tag", "a", "--host", "h1"], "1"u8.ToArray())).ExitCode.Should().Be(0);
        (await _cli.RunAsync(["create", "--stdin", "--tag", "b", "--host", "h2"], "2"u8.ToArray())).ExitCode.Should().Be(0);

        var byTag = JsonDocument.Parse((await _cli.RunAsync("snapshots", "--json", "--tag", "b")).Stdout).RootElement;
        var byHost = JsonDocument.Parse((await _cli.RunAsync("snapshots", "--json", "--host", "h1")).Stdout).RootElement;

        byTag.GetArrayLength().Should().Be(1);
        byTag[0].GetProperty("hostname").GetString().Should().Be("h2");
        byHost.GetArrayLength().Should().Be(1);
        byHost[0].GetProperty("tags")[0].GetString().Should().Be("a");
    }

    [Fact]
    public async Task Restore_refuses_to_overwrite_unless_asked()
    {
        await _cli.InitAsync();
        (await _cli.RunAsync(["create", "--stdin", "--stdin-name", "f"], "new"u8.ToArray())).ExitCode.Should().Be(0);
        Directory.CreateDirectory(_cli.PathOf("out"));
        File.WriteAllText(_cli.PathOf("out/f"), "old");

        var refused = await _cli.RunAsync("restore", "latest", "--target", _cli.PathOf("out"));
        var skipped = await _cli.RunAsync("restore", "latest", "--target", _cli.PathOf("out"), "--skip-existing");
        var contentAfterSkip = File.ReadAllText(_cli.PathOf("out/f"));
        var overwritten = await _cli.RunAsync("restore", "latest", "--target", _cli.PathOf("out"), "--overwrite");

        refused.ExitCode.Should().NotBe(0);
        refused.Stderr.Should().StartWith("backup: error:");
        skipped.ExitCode.Should().Be(3, "'old' is left alone, and said not to be the snapshot's: {0}", skipped.Stderr);
        skipped.Stderr.Should().Contain("differs from the snapshot");
        contentAfterSkip.Should().Be("old");
        overwritten.ExitCode.Should().Be(0, overwritten.Stderr);
        File.ReadAllText(_cli.PathOf("out/f")).Should().Be("new");
    }

    [Fact]
    public async Task Stats_reports_the_repository_and_a_snapshot()
    {
        await _cli.InitAsync();
        (await _cli.RunAsync(["create", "--stdin"], new byte[10_000])).ExitCode.Should().Be(0);

        var repository = await _cli.RunAsync("stats", "--json");
        var snapshot = await _cli.RunAsync("stats", "latest", "--json");
        var human = await _cli.RunAsync("stats");

        repository.ExitCode.Should().Be(0, repository.Stderr);
        var json = JsonDocument.Parse(repository.Stdout).RootElement;
        json.GetProperty("snapshots").GetInt32().Should().Be(1);
        json.GetProperty("keys").GetInt32().Should().Be(1);
        json.GetProperty("packs").GetInt32().Should().BeGreaterThan(0);
        json.GetProperty("blobs").GetInt32().Should().BeGreaterThan(0);
        JsonDocument.Parse(snapshot.Stdout).RootElement.GetProperty("statistics").GetProperty("totalBytes").GetInt64().Should().Be(10_000);
        human.Stdout.Should().Contain("Snapshots").And.Contain("Packs");
    }

    [Fact]
    public async Task Keys_can_be_added_used_changed_and_removed()
    {
        await _cli.InitAsync();
        File.WriteAllText(_cli.PathOf("new-pw"), "second password\n");

        var add = await _cli.RunAsync("key", "add", "--new-password-file", _cli.PathOf("new-pw"), "--label", "laptop", "--json");
        var withSecond = await _cli.RunAsync(["key", "list", "--json"], stdin: null, new() { ["BACKUP_PASSWORD"] = "second password" });

        add.ExitCode.Should().Be(0, add.Stderr);
        var addedId = JsonDocument.Parse(add.Stdout).RootElement.GetProperty("keyId").GetString()!;
        withSecond.ExitCode.Should().Be(0, withSecond.Stderr);
        var keys = JsonDocument.Parse(withSecond.Stdout).RootElement;
        keys.GetArrayLength().Should().Be(2);
        keys.EnumerateArray().Single(k => k.GetProperty("current").GetBoolean()).GetProperty("id").GetString().Should().Be(addedId);
        keys.EnumerateArray().Single(k => k.GetProperty("current").GetBoolean()).GetProperty("label").GetString().Should().Be("laptop");

        var passwd = await _cli.RunAsync(["key", "passwd"], stdin: null, new() { ["BACKUP_PASSWORD"] = "second password", ["BACKUP_NEW_PASSWORD"] = "third password" });
        var oldSecond = await _cli.RunAsync(["snapshots"], stdin: null, new() { ["BACKUP_PASSWORD"] = "second password" });
        var third = await _cli.RunAsync(["key", "list", "--json"], stdin: null, new() { ["BACKUP_PASSWORD"] = "third password" });

        passwd.ExitCode.Should().Be(0, passwd.Stderr);
        oldSecond.ExitCode.Should().Be(11);
        third.ExitCode.Should().Be(0, third.Stderr);
        var thirdId = JsonDocument.Parse(third.Stdout).RootElement.EnumerateArray().Single(k => k.GetProperty("current").GetBoolean()).GetProperty("id").GetString()!;

        var remove = await _cli.RunAsync("key", "remove", thirdId[..8]);
        var afterRemove = await _cli.RunAsync(["snapshots"], stdin: null, new() { ["BACKUP_PASSWORD"] = "third password" });

        remove.ExitCode.Should().Be(0, remove.Stderr);
        remove.Stdout.Should().Contain($"Removed key {thirdId}.", "the key is named by its full ID, not the prefix typed");
        afterRemove.ExitCode.Should().Be(11);
    }
}
