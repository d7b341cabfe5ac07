namespace Backup.Cli.Tests;

/// <summary>
/// A failed fsync is how a failing disk, NFS or a thin pool reports writes it lost. It is caused here for real in the
/// kernel's answer (strace's fault injection) to the tool's own process.
/// </summary>
public sealed class FailedSyncCliTests : IDisposable
{
    private readonly CliRunner _cli = new();

    [SkippableTheory]
    [InlineData("EIO", 1, "Input/output error")]
    [InlineData("ENOSPC", 13, "is full")]
    public async Task A_backup_whose_data_did_not_reach_the_disk_fails_and_saves_no_snapshot(string error, int exitCode, string named)
    {
        Skip.IfNot(OperatingSystem.IsLinux() && File.Exists("/usr/bin/strace"), "needs strace (Debian package strace) on Linux");
        await _cli.InitAsync();
        Directory.CreateDirectory(_cli.PathOf("src"));
        await File.WriteAllTextAsync(_cli.PathOf("src/a.txt"), "data that must be durable");
        _cli.Launcher = ["/usr/bin/strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=fsync", "-e", $"inject=fsync:error={error}:when=2"];

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
