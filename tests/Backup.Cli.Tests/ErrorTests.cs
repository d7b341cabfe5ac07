namespace Backup.Cli.Tests;

public sealed class ErrorTests : IDisposable
{
    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task A_missing_repository_exits_10_with_one_line()
    {
        var result = await _cli.RunAsync("snapshots", "--repo", _cli.PathOf("nowhere"));

        result.ExitCode.Should().Be(10);
        ShouldBeOneErrorLine(result, "There is no repository");
        Directory.Exists(_cli.PathOf("nowhere")).Should().BeFalse("opening must not create the directory");
    }

    [Fact]
    public async Task An_empty_directory_is_not_a_repository()
    {
        Directory.CreateDirectory(_cli.Repository);

        var result = await _cli.RunAsync("snapshots");

        result.ExitCode.Should().Be(10);
    }

    [Fact]
    public async Task No_repository_given_is_a_usage_error()
    {
        var result = await _cli.RunAsync(["snapshots"], stdin: null, new() { ["BACKUP_REPOSITORY"] = null });

        result.ExitCode.Should().Be(2);
        result.Stderr.Should().Contain("BACKUP_REPOSITORY");
    }

    [Fact]
    public async Task Init_into_a_directory_of_other_files_exits_1_and_writes_nothing()
    {
        Directory.CreateDirectory(_cli.Repository);
        await File.WriteAllTextAsync(Path.Combine(_cli.Repository, "notes.txt"), "mine");

        var result = await _cli.RunAsync("init");

        result.ExitCode.Should().Be(1);
        ShouldBeOneErrorLine(result, "is not empty");
        Directory.EnumerateFileSystemEntries(_cli.Repository).Select(Path.GetFileName).Should().BeEquivalentTo(["notes.txt"]);
    }

    [Fact]
    public async Task Restoring_a_path_the_snapshot_does_not_hold_exits_1_and_restores_nothing()
    {
        await _cli.InitAsync();
        var data = _cli.PathOf("data");
        Directory.CreateDirectory(data);
        await File.WriteAllTextAsync(Path.Combine(data, "a.txt"), "a");
        (await _cli.RunAsync("create", data, "-q")).ExitCode.Should().Be(0);

        var result = await _cli.RunAsync("restore", "latest", "--target", _cli.PathOf("out"), "--include", data + "/typo");

        result.ExitCode.Should().Be(1, result.Stdout);
        ShouldBeOneErrorLine(result, $"has no path '{data}/typo'");
        Directory.Exists(_cli.PathOf("out")).Should().BeFalse();
    }

    [Fact]
    public async Task Restoring_over_an_existing_file_names_this_tools_options_not_the_librarys()
    {
        await _cli.InitAsync();
        var data = _cli.PathOf("data");
        Directory.CreateDirectory(data);
        await File.WriteAllTextAsync(Path.Combine(data, "a.txt"), "a");
        (await _cli.RunAsync("create", data, "-q")).ExitCode.Should().Be(0);
        (await _cli.RunAsync("restore", "latest", "--target", _cli.PathOf("out"), "-q")).ExitCode.Should().Be(0);

        var result = await _cli.RunAsync("restore", "latest", "--target", _cli.PathOf("out"));

        result.ExitCode.Should().Be(1, result.Stdout);
        ShouldBeOneErrorLine(result, "already exists as a");
        result.Stderr.Should().Contain("(--overwrite)").And.Contain("(--overwrite-changed, which resumes a restore that was stopped)").And.Contain("(--skip-existing)")
            .And.NotContain("ExistingFileBehavior").And.NotContain("RestoreOptions");
    }

    [Fact]
    public async Task A_wrong_password_exits_11_with_one_line_and_no_stack_trace()
    {
        await _cli.InitAsync();

        var result = await _cli.RunAsync(["snapshots"], stdin: null, new() { ["BACKUP_PASSWORD"] = "wrong" });

        result.ExitCode.Should().Be(11);
        ShouldBeOneErrorLine(result, "password");
        result.Stderr.Should().Contain("--password-file, else the file BACKUP_PASSWORD_FILE names, else BACKUP_PASSWORD", "it says where the password was taken from, to check");
    }

    [Fact]
    public async Task With_json_a_failure_is_one_line_of_json_on_stderr_naming_the_exit_code()
    {
        await _cli.InitAsync();

        var result = await _cli.RunAsync(["snapshots", "--json"], stdin: null, new() { ["BACKUP_PASSWORD"] = "wrong" });
        var usage = await _cli.RunAsync(["create", "--json", "--level", "ful", _cli.Root]);

        result.ExitCode.Should().Be(11);
        result.Stdout.Should().BeEmpty();
        var line = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().ContainSingle().Subject;
        var error = System.Text.Json.JsonDocument.Parse(line).RootElement;
        error.GetProperty("error").GetString().Should().Be("error");
        error.GetProperty("exitCode").GetInt32().Should().Be(11);
        error.GetProperty("message").GetString().Should().Contain("password");
        usage.ExitCode.Should().Be(2, "a usage error found while parsing stays text: the parser reports it before --json is known");
    }

    [Fact]
    public async Task Verbose_adds_the_details()
    {
        await _cli.InitAsync();

        var result = await _cli.RunAsync(["snapshots", "--verbose"], stdin: null, new() { ["BACKUP_PASSWORD"] = "wrong" });

        result.ExitCode.Should().Be(11);
        result.Stderr.Should().Contain("WrongPasswordException").And.Contain(" at ");
    }

    [Fact]
    public async Task Without_any_password_source_and_no_terminal_it_says_where_to_put_one()
    {
        await _cli.InitAsync();

        var result = await _cli.RunAsync(["snapshots"], stdin: [], new() { ["BACKUP_PASSWORD"] = null });

        result.ExitCode.Should().Be(2);
        result.Stderr.Should().Contain("BACKUP_PASSWORD").And.Contain("BACKUP_PASSWORD_FILE").And.Contain("--password-file");
    }

    [Fact]
    public async Task Init_without_a_password_creates_nothing()
    {
        var result = await _cli.RunAsync(["init"], stdin: [], new() { ["BACKUP_PASSWORD"] = null });

        result.ExitCode.Should().Be(2);
        Directory.Exists(_cli.Repository).Should().BeFalse();
    }

    [Fact]
    public async Task Stdin_name_without_stdin_is_a_usage_error()
    {
        await _cli.InitAsync();
        Directory.CreateDirectory(_cli.PathOf("d"));

        var result = await _cli.RunAsync("create", "d", "--stdin-name", "x");

        result.ExitCode.Should().Be(2);
        result.Stderr.Should().Contain("--stdin-name");
    }

    [Fact]
    public async Task A_password_file_is_read()
    {
        await _cli.InitAsync();
        File.WriteAllText(_cli.PathOf("pw"), CliRunner.Password + "\n");

        var result = await _cli.RunAsync(["snapshots", "--password-file", _cli.PathOf("pw")], stdin: null, new() { ["BACKUP_PASSWORD"] = null });

        result.ExitCode.Should().Be(0, result.Stderr);
    }

    [Fact]
    public async Task A_missing_password_file_is_an_error()
    {
        await _cli.InitAsync();

        var result = await _cli.RunAsync("snapshots", "--password-file", _cli.PathOf("no-such-file"));

        result.ExitCode.Should().Be(1);
        ShouldBeOneErrorLine(result, "no-such-file");
    }

    [Fact]
    public async Task Init_on_an_existing_repository_fails()
    {
        await _cli.InitAsync();

        var result = await _cli.RunAsync("init");

        result.ExitCode.Should().Be(1);
        ShouldBeOneErrorLine(result, "already holds a repository");
    }

    [Fact]
    public async Task An_unknown_snapshot_is_an_error()
    {
        await _cli.InitAsync();

        var result = await _cli.RunAsync("restore", "abcdef12", "--target", _cli.PathOf("out"));

        result.ExitCode.Should().Be(1);
        ShouldBeOneErrorLine(result, "abcdef12");
    }

    [Fact]
    public async Task A_corrupted_snapshot_object_is_reported_as_damage()
    {
        await _cli.InitAsync();
        (await _cli.RunAsync(["create", "--stdin"], "some data"u8.ToArray())).ExitCode.Should().Be(0);
        FlipByte(Directory.GetFiles(Path.Combine(_cli.Repository, "snapshots")).Single());

        var restore = await _cli.RunAsync("restore", "latest", "--target", _cli.PathOf("out"));
        var list = await _cli.RunAsync("snapshots");

        restore.ExitCode.Should().Be(12);
        ShouldBeOneErrorLine(restore, "damaged or altered");
        list.ExitCode.Should().Be(12);
        list.Stderr.Should().Contain("damaged");
    }

    [Theory]
    [InlineData("soon")]
    [InlineData("0")]
    public async Task A_request_timeout_that_is_not_a_number_of_seconds_is_a_usage_error(string value)
    {
        var result = await _cli.RunAsync(["snapshots", "--repo", "s3://bucket/repo"], stdin: null, new()
        {
            ["BACKUP_REQUEST_TIMEOUT"] = value, ["AWS_ACCESS_KEY_ID"] = "id", ["AWS_SECRET_ACCESS_KEY"] = "secret", ["BACKUP_S3_ENDPOINT"] = "http://127.0.0.1:9",
        });

        result.ExitCode.Should().Be(2, result.Stderr);
        result.Stderr.Should().Contain("BACKUP_REQUEST_TIMEOUT must be a number of seconds, such as 120, or 'off'");
    }

    [Fact]
    public async Task A_corrupted_pack_fails_dump_and_restore_clearly()
    {
        await _cli.InitAsync();
        var data = new byte[50_000];
        new Random(7).NextBytes(data);
        (await _cli.RunAsync(["create", "--stdin", "--stdin-name", "blob.bin"], data)).ExitCode.Should().Be(0);
        var pack = Directory.GetFiles(Path.Combine(_cli.Repository, "data"), "*", SearchOption.AllDirectories).Single();
        FlipByte(pack, offset: 100);

        var dump = await _cli.RunAsync("dump", "latest", "blob.bin");
        var restore = await _cli.RunAsync("restore", "latest", "--target", _cli.PathOf("out"));

        dump.ExitCode.Should().Be(12);
        ShouldBeOneErrorLine(dump, "damaged or altered");
        dump.Stderr.Should().ContainEquivalentOf("run 'backup check");
        restore.ExitCode.Should().Be(12, "missing or altered repository data is what 12 means, for a restore as for a dump");
        restore.Stderr.Should().StartWith("backup: ").And.Contain("damaged or altered").And.NotContain("   at ");
        // The flipped byte lands in the file's content or in its tree, as the pack's blobs happened to be written: restore then reports
        // the entry it could not write, or stops at the tree. Either way the operator is told what to do next.
        restore.Stderr.Should().ContainEquivalentOf("run 'backup check --read-data'", "the operator is told what to do next");
        File.Exists(_cli.PathOf("out/blob.bin")).Should().BeFalse("damaged content is never written in place");
    }

    [Fact]
    public async Task Removing_the_key_in_use_is_refused()
    {
        await _cli.InitAsync();
        var keys = await _cli.RunAsync("key", "list", "--json");
        var id = System.Text.Json.JsonDocument.Parse(keys.Stdout).RootElement[0].GetProperty("id").GetString()!;

        var result = await _cli.RunAsync("key", "remove", id);

        result.ExitCode.Should().Be(1);
        ShouldBeOneErrorLine(result, "in use");
    }

    [SkippableFact]
    public async Task Ctrl_C_stops_a_backup_with_exit_130_and_writes_no_snapshot()
    {
        Skip.If(OperatingSystem.IsWindows(), "POSIX signals");
        var result = await InterruptedBackupAsync(interrupts: 1);

        result.ExitCode.Should().Be(130, result.Stderr);
        result.Stderr.Should().NotContain("   at ");
        result.Stderr.Should().Contain("backup: interrupted; no snapshot was saved. What was uploaded stays in the repository", "the operator learns what is lost and that running it again does not start over");
        Directory.Exists(Path.Combine(_cli.Repository, "snapshots")).Should().BeFalse("no snapshot was written");
    }

    [SkippableFact]
    public async Task One_interruption_delivered_twice_at_once_still_stops_cleanly_with_130()
    {
        // timeout(1) signals the process and then its process group; a terminal's Ctrl+C reaches the whole group.
        Skip.If(OperatingSystem.IsWindows(), "POSIX signals");
        var result = await InterruptedBackupAsync(interrupts: 2);

        result.ExitCode.Should().Be(130, result.Stderr);
        result.Stderr.Should().NotContain("interrupted again");
        Directory.EnumerateFiles(Path.Combine(_cli.Repository, "locks")).Should().BeEmpty("the command stopped cleanly and took its lock with it");
    }

    /// <summary>A backup of stdin, which stays open so the backup waits for more input, sent SIGINT <paramref name="interrupts"/> times at once after 4 s.</summary>
    private async Task<CliResult> InterruptedBackupAsync(int interrupts)
    {
        await _cli.InitAsync();
        return await _cli.RunInterruptedAsync(["create", "--stdin"], "partial input"u8.ToArray(), null, _ => Task.Delay(TimeSpan.FromSeconds(4)), exitWithin: TimeSpan.FromSeconds(30), interrupts);
    }

    internal static void ShouldBeOneErrorLine(CliResult result, string expected)
    {
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Should().ContainSingle($"stderr was: {result.Stderr}");
        lines[0].Should().StartWith("backup: ").And.Contain(expected);
        result.Stderr.Should().NotContain("   at ").And.NotContain("Exception");
    }

    private static void FlipByte(string path, long? offset = null)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        file.Position = offset ?? file.Length / 2;
        var b = file.ReadByte();
        file.Position--;
        file.WriteByte((byte)(b ^ 0x40));
    }
}
