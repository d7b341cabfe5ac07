using System.Diagnostics;
using System.Security.Cryptography;

namespace Backup.Cli.Tests;

/// <summary>The tool on a disk that fills up for real (a small tmpfs): exit code 13, the cause named, and what to do next.</summary>
public sealed class FullDiskCliTests : IDisposable
{
    private readonly CliRunner _cli = new();
    private readonly List<string> _mounts = [];

    [SkippableFact]
    public async Task A_backup_into_a_full_disk_exits_13_naming_it_and_runs_once_space_is_freed()
    {
        var disk = Mount("repo-disk", "8m");
        _cli.Environment["BACKUP_REPOSITORY"] = Path.Combine(disk, "repo");
        await _cli.InitAsync();
        WriteRandomFiles(_cli.PathOf("src"), count: 4, size: 3 * 1024 * 1024);

        var full = await _cli.RunAsync("create", _cli.PathOf("src"));

        full.ExitCode.Should().Be(13, full.Stderr);
        full.Stderr.Should().Contain($"Local directory '{Path.Combine(disk, "repo")}' is full: no space is left on the device.")
            .And.Contain("Free space there, then run the command again").And.Contain("reuses what was uploaded");
        var check = await _cli.RunAsync("check");
        check.ExitCode.Should().Be(0, check.Stdout + check.Stderr);
        System.Text.Json.JsonDocument.Parse((await _cli.RunAsync("snapshots", "--json")).Stdout).RootElement.GetArrayLength().Should().Be(0, "no snapshot is written");

        Shell("mount", "-o", "remount,size=64m", disk);
        var again = await _cli.RunAsync("create", _cli.PathOf("src"));

        again.ExitCode.Should().Be(0, again.Stderr);
    }

    [SkippableFact]
    public async Task A_restore_into_a_full_disk_exits_13_and_names_every_entry_it_did_not_write()
    {
        await _cli.InitAsync();
        WriteRandomFiles(_cli.PathOf("src"), count: 4, size: 3 * 1024 * 1024);
        (await _cli.RunAsync("create", _cli.PathOf("src"))).ExitCode.Should().Be(0);
        var disk = Mount("restore-disk", "8m");

        var restore = await _cli.RunAsync("restore", "latest", "--target", disk);

        restore.ExitCode.Should().Be(13, restore.Stderr);
        restore.Stderr.Should().Contain($"The restore target '{disk}' is full (no space is left on the device)")
            .And.Contain("restore again with --skip-existing");
        restore.Stderr.Should().Contain("could not restore /").And.Contain("not restored");
        Shell("mount", "-o", "remount,size=64m", disk);
        var rest = await _cli.RunAsync("restore", "latest", "--target", disk, "--skip-existing");
        rest.ExitCode.Should().Be(0, rest.Stderr);
        foreach (var file in Directory.EnumerateFiles(_cli.PathOf("src")))
        {
            File.ReadAllBytes(Path.Combine(disk, file.TrimStart('/'))).Should().Equal(File.ReadAllBytes(file));
        }
    }

    [SkippableFact]
    public async Task A_repository_on_read_only_media_is_checked_and_restored_without_a_lock()
    {
        var disk = Mount("read-only-disk", "16m");
        _cli.Environment["BACKUP_REPOSITORY"] = Path.Combine(disk, "repo");
        await _cli.InitAsync();
        WriteRandomFiles(_cli.PathOf("src"), count: 2, size: 100_000);
        (await _cli.RunAsync("create", _cli.PathOf("src"))).ExitCode.Should().Be(0);
        Shell("mount", "-o", "remount,ro", disk);

        var locked = await _cli.RunAsync("check");
        var unlocked = await _cli.RunAsync("check", "--no-lock", "--read-data");
        var restore = await _cli.RunAsync("restore", "latest", "--target", _cli.PathOf("out"), "--no-lock");
        var copyEnvironment = new Dictionary<string, string?> { ["BACKUP_PASSWORD"] = CliRunner.Password, ["BACKUP_DESTINATION_PASSWORD"] = CliRunner.Password };
        (await _cli.RunAsync(["init", "--repo", _cli.PathOf("copy")], stdin: null, copyEnvironment)).ExitCode.Should().Be(0);
        var copyLocked = await _cli.RunAsync(["copy", "--to", _cli.PathOf("copy")], stdin: null, copyEnvironment);
        var copied = await _cli.RunAsync(["copy", "--to", _cli.PathOf("copy"), "--no-lock"], stdin: null, copyEnvironment);

        locked.ExitCode.Should().Be(1, locked.Stderr);
        locked.Stderr.Should().Contain("the lock could not be written").And.Contain("Run it again with --no-lock.");
        unlocked.ExitCode.Should().Be(0, unlocked.Stdout + unlocked.Stderr);
        unlocked.Stdout.Should().Contain("No problems found");
        restore.ExitCode.Should().Be(0, restore.Stderr);
        copyLocked.ExitCode.Should().Be(1, "the source's lock cannot be written: " + copyLocked.Stderr);
        copyLocked.Stderr.Should().Contain("the lock could not be written").And.Contain("Run it again with --no-lock.", "the operator is told the way out, as check and restore tell it");
        copied.ExitCode.Should().Be(0, copied.Stderr);
        (await _cli.RunAsync(["snapshots", "--repo", _cli.PathOf("copy"), "--json"], stdin: null, copyEnvironment)).Stdout.Should().Contain("\"hostname\"");
    }

    [Fact]
    public async Task The_help_lists_exit_code_13_for_a_full_disk()
    {
        var help = await _cli.RunAsync("--help");

        help.Stdout.Should().Contain("13   storage full");
    }

    public void Dispose()
    {
        foreach (var mount in _mounts)
        {
            _ = Process.Start("umount", ["-l", mount])!.WaitForExit(10_000);
        }

        _cli.Dispose();
    }

    /// <summary>Mounts a tmpfs of <paramref name="size"/> on a new directory, or skips the test saying why it cannot.</summary>
    private string Mount(string name, string size)
    {
        Skip.IfNot(OperatingSystem.IsLinux() && System.Environment.UserName == "root", "mounting a small tmpfs needs root on Linux");
        var path = _cli.PathOf(name);
        Directory.CreateDirectory(path);
        using var mount = Process.Start(new ProcessStartInfo("mount", ["-t", "tmpfs", "-o", $"size={size}", "tmpfs", path]) { RedirectStandardError = true })!;
        var error = mount.StandardError.ReadToEnd();
        mount.WaitForExit();
        Skip.If(mount.ExitCode != 0, $"mount -t tmpfs failed here ({error.Trim()})");
        _mounts.Add(path);
        return path;
    }

    private static void Shell(string file, params string[] arguments)
    {
        using var process = Process.Start(file, arguments);
        process.WaitForExit();
        process.ExitCode.Should().Be(0, $"{file} {string.Join(' ', arguments)}");
    }

    private static void WriteRandomFiles(string directory, int count, int size)
    {
        Directory.CreateDirectory(directory);
        for (var i = 0; i < count; i++)
        {
            File.WriteAllBytes(Path.Combine(directory, $"file{i}"), RandomNumberGenerator.GetBytes(size));
        }
    }
}
