namespace Backup.Cli.Tests;

/// <summary>
/// A failed fsync is how a failing disk, NFS or a thin pool reports writes it lost. It is caused here for real in the
/// kernel's answer (strace's fault injection) to the tool's own process.
/// </summary>
public sealed class FailedSyncCliTests : IDisposable
{
    private readonly CliRunner _cli = new();

    /// <summary>Every object's data: the first one written (the lock) fails, so nothing else is.</summary>
    [SkippableTheory]
    [InlineData("EIO", 1, "Input/output error")]
    [InlineData("ENOSPC", 13, "is full")]
    public async Task A_backup_whose_data_did_not_reach_the_disk_fails_and_saves_no_snapshot(string error, int exitCode, string named)
    {
        await PrepareAsync();
        _cli.Launcher = Strace("-e", $"inject=fsync:error={error}");

        await BackupFailsAsync(exitCode, named);
    }

    /// <summary>The snapshot's rename into its directory: the object is in place, but whether it stays after a crash is unknown.</summary>
    [SkippableFact]
    public async Task A_snapshot_whose_directory_entry_did_not_reach_the_disk_is_not_left_looking_saved()
    {
        await PrepareAsync();
        _cli.Launcher = Strace("-P", Path.Combine(_cli.Repository, "snapshots"), "-e", "inject=fsync:error=EIO");

        await BackupFailsAsync(1, "snapshots/");
    }

    private async Task PrepareAsync()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && File.Exists("/usr/bin/strace"), "needs strace (Debian package strace) on Linux");
        await _cli.InitAsync();
        Directory.CreateDirectory(_cli.PathOf("src"));
        await File.WriteAllTextAsync(_cli.PathOf("src/a.txt"), "data that must be durable");
    }

    private static string[] Strace(params string[] injection) => ["/usr/bin/strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=fsync", .. injection];

    private async Task BackupFailsAsync(int exitCode, string named)
    {
        var backup = await _cli.RunAsync("create", _cli.PathOf("src"));

        backup.ExitCode.Should().Be(exitCode, backup.Stderr);
        backup.Stderr.Should().Contain(named);
        _cli.Launcher = [];
        System.Text.Json.JsonDocument.Parse((await _cli.RunAsync("snapshots", "--json")).Stdout).RootElement.GetArrayLength().Should().Be(0, "nothing that may not be on the disk is referenced by a snapshot");
        (await _cli.RunAsync("create", _cli.PathOf("src"))).ExitCode.Should().Be(0);
        var check = await _cli.RunAsync("check", "--read-data");
        check.ExitCode.Should().Be(0, check.Stdout + check.Stderr);
    }

    public void Dispose() => _cli.Dispose();
}
