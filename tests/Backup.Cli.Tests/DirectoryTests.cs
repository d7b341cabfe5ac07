using System.Diagnostics;
using System.Formats.Tar;
using System.Text.Json;
using Backup.Core.Crypto;
using Backup.Core.Repository;
using Backup.Core.Storage;
using Backup.Core;
using Backup.Core.Repository.Locks;

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
    public async Task Latest_with_path_or_host_is_the_newest_snapshot_of_those()
    {
        await _cli.InitAsync();
        Directory.CreateDirectory(_cli.PathOf("other"));
        File.WriteAllText(_cli.PathOf("other/c.txt"), "charlie");
        (await _cli.RunAsync("create", "src", "--host", "web1", "-q")).ExitCode.Should().Be(0);
        (await _cli.RunAsync("create", "other", "--host", "web2", "-q")).ExitCode.Should().Be(0);

        // 'latest' alone is the snapshot of 'other'; with --path it is the one that backed up src.
        var restore = await _cli.RunAsync("restore", "latest", "--path", _cli.PathOf("src"), "--target", "out", "--include", _cli.PathOf("src/a.txt"));
        var byHost = await _cli.RunAsync("dump", "latest", SnapshotPath("src/sub/b.txt"), "--host", "web1");
        var noSuchHost = await _cli.RunAsync("ls", "latest", "--host", "web3");
        var withAnId = await _cli.RunAsync("ls", "abcd", "--host", "web1");

        restore.ExitCode.Should().Be(0, restore.Stderr);
        File.ReadAllText(Path.Combine(_cli.PathOf("out"), SnapshotPath("src/a.txt"))).Should().Be("alpha");
        byHost.ExitCode.Should().Be(0, byHost.Stderr);
        byHost.Stdout.Should().Be("bravo");
        noSuchHost.ExitCode.Should().Be(1);
        noSuchHost.Stderr.Should().Contain("No snapshot made on 'web3'");
        withAnId.ExitCode.Should().Be(2);
    }

    /// <summary>
    /// A snapshot dated a year ahead (a host whose clock ran ahead, or one added by anyone who holds the password) is not
    /// last night's backup: a restore of 'latest' takes the newest one dated before this machine's clock and says what it passed over.
    /// </summary>
    [Fact]
    public async Task Latest_passes_over_a_snapshot_dated_ahead_and_warns()
    {
        await _cli.InitAsync();
        (await _cli.RunAsync("create", "src", "-q")).ExitCode.Should().Be(0);
        await using (var repository = await BackupRepository.OpenAsync(new LocalDirectoryTarget(_cli.Repository), RepositoryCredentials.FromPassword(CliRunner.Password)))
        {
            var old = await repository.Snapshots.FindAsync("latest");
            await repository.Snapshots.SaveAsync(old with { Time = DateTimeOffset.UtcNow.AddYears(1), Hostname = "clock-ahead" });
        }

        File.WriteAllText(_cli.PathOf("src/a.txt"), "last night");
        (await _cli.RunAsync("create", "src", "-q")).ExitCode.Should().Be(0);

        var dump = await _cli.RunAsync("dump", "latest", SnapshotPath("src/a.txt"));
        var onlyAhead = await _cli.RunAsync("ls", "latest", "--host", "clock-ahead");

        dump.ExitCode.Should().Be(0, dump.Stderr);
        dump.Stdout.Should().Be("last night");
        dump.Stderr.Should().Contain("warning: passed over 1 snapshot dated after this machine's clock").And.Contain("clock-ahead").And.Contain("Give its ID");
        onlyAhead.ExitCode.Should().Be(1);
        onlyAhead.Stderr.Should().Contain("No snapshot to take as 'latest'").And.Contain("Give its ID");
    }

    /// <summary>
    /// Every command that takes 'latest' passes over a snapshot dated ahead and says so: 'pin latest' right after a backup
    /// on a host whose clock runs ahead must not pin another snapshot without a word, nor 'diff', 'stats' or 'copy' show one.
    /// </summary>
    [Fact]
    public async Task Latest_in_pin_diff_stats_and_copy_warns_of_a_snapshot_dated_ahead()
    {
        await _cli.InitAsync();
        (await _cli.RunAsync("create", "src", "-q")).ExitCode.Should().Be(0);
        string realId;
        await using (var repository = await BackupRepository.OpenAsync(new LocalDirectoryTarget(_cli.Repository), RepositoryCredentials.FromPassword(CliRunner.Password)))
        {
            var old = await repository.Snapshots.FindAsync("latest");
            realId = old.Id.ToString();
            await repository.Snapshots.SaveAsync(old with { Time = DateTimeOffset.UtcNow.AddHours(2), Hostname = "clock-ahead" });
        }

        var stats = await _cli.RunAsync("stats", "latest", "--json");
        var diff = await _cli.RunAsync("diff", realId[..8], "latest");
        (await _cli.RunAsync("init", "--repo", _cli.PathOf("copy"))).ExitCode.Should().Be(0);
        var copy = await _cli.RunAsync(["copy", "--to", _cli.PathOf("copy"), "latest"], stdin: null, new() { ["BACKUP_DESTINATION_PASSWORD"] = CliRunner.Password });
        var pin = await _cli.RunAsync("pin", "latest", "--json");

        foreach (var run in new[] { stats, diff, copy, pin })
        {
            run.ExitCode.Should().Be(0, run.Stderr);
            run.Stderr.Should().Contain("warning: passed over 1 snapshot dated after this machine's clock").And.Contain("clock-ahead");
        }

        JsonDocument.Parse(pin.Stdout).RootElement[0].GetProperty("previousId").GetString().Should().Be(realId);
    }

    [Fact]
    public async Task Restore_verify_reads_the_files_back_and_says_so()
    {
        await _cli.InitAsync();
        (await _cli.RunAsync("create", "src", "-q")).ExitCode.Should().Be(0);

        var text = await _cli.RunAsync("restore", "latest", "--target", "out", "--verify");
        var json = await _cli.RunAsync("restore", "latest", "--target", "out2", "--verify", "--json");
        var plain = await _cli.RunAsync("restore", "latest", "--target", "out3", "--json");

        text.ExitCode.Should().Be(0, text.Stderr);
        text.Stdout.Should().Contain("3 files read back and found as in the snapshot");
        JsonDocument.Parse(json.Stdout).RootElement.GetProperty("verified").GetInt64().Should().Be(3);
        JsonDocument.Parse(plain.Stdout).RootElement.GetProperty("verified").ValueKind.Should().Be(JsonValueKind.Null, "nothing was read back");
    }

    [Fact]
    public async Task Latest_with_tag_is_the_newest_snapshot_of_a_job_for_restore_and_verify()
    {
        // A hosted job tags its snapshots job:NAME; in a repository several jobs share, 'latest' alone is another job's.
        await _cli.InitAsync();
        Directory.CreateDirectory(_cli.PathOf("other"));
        File.WriteAllText(_cli.PathOf("other/c.txt"), "charlie");
        (await _cli.RunAsync("create", "src", "--tag", "job:web", "--tag", "nightly", "-q")).ExitCode.Should().Be(0);
        (await _cli.RunAsync("create", "other", "--tag", "job:mail", "-q")).ExitCode.Should().Be(0);

        var restore = await _cli.RunAsync("restore", "latest", "--tag", "job:web", "--tag", "nightly", "--target", "out");
        var verify = await _cli.RunAsync("verify", "latest", "--tag", "job:web", "--json");
        var noSuchJob = await _cli.RunAsync("restore", "latest", "--tag", "job:crm", "--target", "none");
        var notWithRandom = await _cli.RunAsync("verify", "--random-within", "1d", "--tag", "job:web");

        restore.ExitCode.Should().Be(0, restore.Stderr);
        File.ReadAllText(Path.Combine(_cli.PathOf("out"), SnapshotPath("src/a.txt"))).Should().Be("alpha");
        Directory.Exists(Path.Combine(_cli.PathOf("out"), SnapshotPath("other"))).Should().BeFalse();
        verify.ExitCode.Should().Be(0, verify.Stderr);
        using (var json = JsonDocument.Parse(verify.Stdout))
        {
            json.RootElement.GetProperty("files").GetInt64().Should().Be(3, "the drill restored job:web's snapshot (a.txt, sub/b.txt, skip.log), not job:mail's one file");
        }

        noSuchJob.ExitCode.Should().Be(1);
        noSuchJob.Stderr.Should().Contain("No snapshot tagged 'job:crm'");
        notWithRandom.ExitCode.Should().Be(2);
    }

    [SkippableFact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task Ls_shows_the_sticky_and_set_id_bits_and_special_files_as_ls_does()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Unix modes");
        await _cli.InitAsync();
        Process.Start("mkfifo", [_cli.PathOf("src/pipe")])!.WaitForExit();
        Directory.CreateDirectory(_cli.PathOf("src/shared"));
        File.SetUnixFileMode(_cli.PathOf("src/shared"), (UnixFileMode)Convert.ToInt32("1777", 8));
        File.SetUnixFileMode(_cli.PathOf("src/a.txt"), (UnixFileMode)Convert.ToInt32("4644", 8));
        (await _cli.RunAsync("create", "src", "-q")).ExitCode.Should().Be(0);

        var ls = await _cli.RunAsync("ls", "latest", SnapshotPath("src"));

        ls.ExitCode.Should().Be(0, ls.Stderr);
        ls.Stdout.Should().Contain("drwxrwxrwt").And.Contain("-rwSr--r--");
        ls.Stdout.Split('\n').Should().Contain(line => line.StartsWith('p') && line.EndsWith("/pipe"), "a FIFO is shown as ls shows it");
    }

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

    [Fact]
    public async Task Init_create_snapshots_restore_round_trip()
    {
        await _cli.InitAsync();
        var create = await _cli.RunAsync("create", "src", "--tag", "docs");
        var list = await _cli.RunAsync("snapshots", "--json");
        var restore = await _cli.RunAsync("restore", "latest", "--target", _cli.PathOf("out"), "--json");

        create.ExitCode.Should().Be(0, create.Stderr);
        list.ExitCode.Should().Be(0, list.Stderr);
        JsonDocument.Parse(list.Stdout).RootElement[0].GetProperty("tags")[0].GetString().Should().Be("docs");
        restore.ExitCode.Should().Be(0, restore.Stderr);
        var json = JsonDocument.Parse(restore.Stdout).RootElement;
        json.GetProperty("files").GetInt64().Should().Be(3);
        json.GetProperty("bytes").GetInt64().Should().Be(15);
        var restored = Path.Combine(_cli.PathOf("out"), SnapshotPath("src"));
        File.ReadAllText(Path.Combine(restored, "a.txt")).Should().Be("alpha");
        File.ReadAllText(Path.Combine(restored, "sub", "b.txt")).Should().Be("bravo");
        File.ReadAllText(Path.Combine(restored, "skip.log")).Should().Be("noise");
    }

    [Fact]
    public async Task Restore_with_include_restores_only_that_subtree_and_respects_existing_files()
    {
        await _cli.InitAsync();
        (await _cli.RunAsync("create", "src")).ExitCode.Should().Be(0);
        var restored = Path.Combine(_cli.PathOf("out"), SnapshotPath("src"));

        var partial = await _cli.RunAsync("restore", "latest", "--target", _cli.PathOf("out"), "--include", "/" + SnapshotPath("src/sub"));
        File.WriteAllText(Path.Combine(restored, "sub", "b.txt"), "local edit");
        var refused = await _cli.RunAsync("restore", "latest", "--target", _cli.PathOf("out"));

        // The refused restore may have written other files before it met b.txt: a skip leaves each existing one alone.
        var existing = Directory.EnumerateFiles(restored, "*", SearchOption.AllDirectories).Count();
        var skipped = await _cli.RunAsync("restore", "latest", "--target", _cli.PathOf("out"), "--skip-existing");
        var afterSkip = File.ReadAllText(Path.Combine(restored, "sub", "b.txt"));
        var skippedJson = await _cli.RunAsync("restore", "latest", "--target", _cli.PathOf("out"), "--skip-existing", "--json");
        var overwritten = await _cli.RunAsync("restore", "latest", "--target", _cli.PathOf("out"), "--overwrite");

        partial.ExitCode.Should().Be(0, partial.Stderr);
        refused.ExitCode.Should().Be(1);
        ErrorTests.ShouldBeOneErrorLine(refused, "already exists");
        refused.Stderr.Should().Contain("--overwrite").And.Contain("--skip-existing");
        skipped.ExitCode.Should().Be(3, "the edited b.txt is left alone but is not the snapshot's: {0}", skipped.Stderr);
        skipped.Stderr.Should().Contain("sub/b.txt: left as it was (--skip-existing), but it differs from the snapshot");
        skipped.Stderr.Should().Contain("replace what differs with --overwrite-changed").And.NotContain("ExistingFileBehavior", "the tool names its options, not the library's");
        using (var json = System.Text.Json.JsonDocument.Parse(skippedJson.Stdout))
        {
            json.RootElement.GetProperty("problems").EnumerateArray().Select(p => p.GetProperty("reason").GetString()).Should().ContainSingle()
                .Which.Should().Contain("--overwrite-changed").And.NotContain("ExistingFileBehavior");
        }

        skipped.Stdout.Should().Contain(existing == 1 ? "; 1 existing entry left untouched" : $"; {existing} existing entries left untouched");
        afterSkip.Should().Be("local edit");
        File.ReadAllText(Path.Combine(restored, "a.txt")).Should().Be("alpha");
        overwritten.ExitCode.Should().Be(0, overwritten.Stderr);
        File.ReadAllText(Path.Combine(restored, "sub", "b.txt")).Should().Be("bravo");
    }

    [SkippableFact]
    public async Task A_device_node_skipped_outside_its_original_place_names_the_tools_devices_option_only()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && Environment.UserName == "root", "needs root for mknod");
        using (var mknod = Process.Start("mknod", [_cli.PathOf("src/null"), "c", "1", "3"]))
        {
            await mknod.WaitForExitAsync();
            mknod.ExitCode.Should().Be(0);
        }

        await _cli.InitAsync();
        (await _cli.RunAsync("create", "src")).ExitCode.Should().Be(0);

        var skipped = await _cli.RunAsync("restore", "latest", "--target", _cli.PathOf("out"));
        var skippedJson = await _cli.RunAsync("restore", "latest", "--target", _cli.PathOf("out-json"), "--json");
        var refused = await _cli.RunAsync("restore", "latest", "--target", _cli.PathOf("out-none"), "--no-devices");
        var asked = await _cli.RunAsync("restore", "latest", "--target", _cli.PathOf("out-devices"), "--devices");

        skipped.ExitCode.Should().Be(3, skipped.Stderr);
        skipped.Stderr.Should().Contain($"could not restore /{SnapshotPath("src/null")}: skipped: device nodes are restored only into their original place (target '/') unless asked for with --devices")
            .And.NotContain("RestoreOptions", "the tool names its options, not the library's");
        using (var json = JsonDocument.Parse(skippedJson.Stdout))
        {
            json.RootElement.GetProperty("problems").EnumerateArray().Select(p => p.GetProperty("reason").GetString()).Should().ContainSingle()
                .Which.Should().Contain("--devices").And.NotContain("RestoreOptions");
        }

        refused.ExitCode.Should().Be(3, refused.Stderr);
        refused.Stderr.Should().Contain("skipped: this restore was asked to create no device nodes").And.NotContain("RestoreOptions").And.NotContain("unless asked for");
        asked.ExitCode.Should().Be(0, asked.Stderr);
        using var stat = Process.Start(new ProcessStartInfo("stat", ["-c", "%F %t,%T", _cli.PathOf("out-devices/" + SnapshotPath("src/null"))]) { RedirectStandardOutput = true })!;
        (await stat.StandardOutput.ReadToEndAsync()).Trim().Should().Be("character special file 1,3");
    }

    [Fact]
    public async Task Restore_is_refused_while_a_prune_holds_the_repository_unless_no_lock_is_asked_for()
    {
        await _cli.InitAsync();
        (await _cli.RunAsync("create", "src")).ExitCode.Should().Be(0);

        // A real prune's lock, held by this test process while the tool runs (lock objects are authenticated, so a
        // hand-written one would not count).
        await using var repository = await BackupRepository.OpenAsync(new LocalDirectoryTarget(_cli.Repository), RepositoryCredentials.FromPassword(CliRunner.Password));
        var pruneLock = await RepositoryLock.AcquireAsync(repository.Locks, exclusive: true, "prune");
        CliResult refused;
        try
        {
            refused = await _cli.RunAsync("restore", "latest", "--target", _cli.PathOf("out"));
        }
        finally
        {
            await pruneLock.DisposeAsync();
        }

        refused.ExitCode.Should().Be(1, refused.Stderr);
        refused.Stderr.Should().Contain("locked exclusively by 'prune' on host " + Environment.MachineName);
        Directory.Exists(_cli.PathOf("out")).Should().BeFalse("nothing is written before the lock is taken");
        var unlocked = await _cli.RunAsync("restore", "latest", "--target", _cli.PathOf("out"), "--no-lock");
        unlocked.ExitCode.Should().Be(0, unlocked.Stderr);
        (await File.ReadAllTextAsync(Path.Combine(_cli.PathOf("out"), SnapshotPath("src/sub/b.txt")))).Should().Be("bravo");
    }
}
