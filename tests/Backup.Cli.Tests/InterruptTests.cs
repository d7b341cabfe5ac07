using System.Security.Cryptography;
using System.Text.Json;

namespace Backup.Cli.Tests;

/// <summary>
/// Ctrl+C in the middle of a restore or a copy: the line printed says what the interrupted command left behind and how
/// to finish, and what it says holds. A download limit keeps each command busy long enough to be interrupted.
/// </summary>
public sealed class InterruptTests : IDisposable
{
    private const string DestinationPassword = "a different destination password";
    private const int Files = 40;

    private readonly CliRunner _cli = new();

    public InterruptTests()
    {
        Directory.CreateDirectory(_cli.PathOf("small"));
        File.WriteAllText(_cli.PathOf("small/a.txt"), "alpha");
        Directory.CreateDirectory(_cli.PathOf("big"));
        for (var i = 0; i < Files; i++)
        {
            // Random, so that 2.5 MiB stays 2.5 MiB in the repository: at 256 KiB/s it takes ten seconds to read.
            File.WriteAllBytes(_cli.PathOf($"big/{i:D2}.bin"), RandomNumberGenerator.GetBytes(64 * 1024));
        }
    }

    private string Destination => _cli.PathOf("destination");

    public void Dispose() => _cli.Dispose();

    [SkippableFact]
    public async Task An_interrupted_restore_says_its_files_are_complete_and_that_overwrite_changed_finishes_it()
    {
        Skip.If(OperatingSystem.IsWindows(), "POSIX signals");
        await _cli.InitAsync();
        (await _cli.RunAsync("create", "big")).ExitCode.Should().Be(0);
        var target = _cli.PathOf("restored");

        var interrupted = await InterruptedAsync(["restore", "latest", "--target", target, "--limit-download", "256K"]);

        interrupted.ExitCode.Should().Be(130, interrupted.Stderr);
        interrupted.Stderr.Should().Contain("backup: interrupted; the files restored so far are complete").And.Contain("--overwrite-changed");
        var restored = Path.Combine(target, _cli.PathOf("big").TrimStart('/'));
        var written = Directory.Exists(target) ? Directory.EnumerateFiles(target, "*", SearchOption.AllDirectories).ToList() : [];
        written.Should().OnlyContain(f => Path.GetDirectoryName(f) == restored && File.Exists(_cli.PathOf($"big/{Path.GetFileName(f)}")), "no temporary copy is left behind");
        foreach (var file in written)
        {
            File.ReadAllBytes(file).Should().Equal(File.ReadAllBytes(_cli.PathOf($"big/{Path.GetFileName(file)}")), "a file left in the target is complete");
        }

        var resumed = await _cli.RunAsync("restore", "latest", "--target", target, "--overwrite-changed");

        resumed.ExitCode.Should().Be(0, resumed.Stderr);
        Directory.EnumerateFiles(restored).Should().HaveCount(Files);
        foreach (var file in Directory.EnumerateFiles(restored))
        {
            File.ReadAllBytes(file).Should().Equal(File.ReadAllBytes(_cli.PathOf($"big/{Path.GetFileName(file)}")));
        }
    }

    [SkippableFact]
    public async Task An_interrupted_copy_says_the_snapshots_it_copied_are_complete_and_that_running_it_again_copies_the_rest()
    {
        Skip.If(OperatingSystem.IsWindows(), "POSIX signals");
        await _cli.InitAsync();
        (await _cli.RunAsync(["init", "--repo", Destination], stdin: null, new() { ["BACKUP_PASSWORD"] = DestinationPassword })).ExitCode.Should().Be(0);
        (await _cli.RunAsync("create", "small")).ExitCode.Should().Be(0);
        (await _cli.RunAsync("create", "big")).ExitCode.Should().Be(0);
        var copyEnvironment = new Dictionary<string, string?> { ["BACKUP_DESTINATION_PASSWORD"] = DestinationPassword };

        var interrupted = await InterruptedAsync(["copy", "--to", Destination, "--limit-download", "256K"], copyEnvironment);

        interrupted.ExitCode.Should().Be(130, interrupted.Stderr);
        interrupted.Stderr.Should().Contain("backup: interrupted; the snapshots copied so far are complete in the destination").And.Contain("copies the rest");
        var check = await _cli.RunAsync(["check", "--read-data", "--repo", Destination], stdin: null, new() { ["BACKUP_PASSWORD"] = DestinationPassword });
        check.ExitCode.Should().Be(0, "what the interrupted copy saved in the destination is whole: " + check.Stdout + check.Stderr);

        var again = await _cli.RunAsync(["copy", "--to", Destination, "--json"], stdin: null, copyEnvironment);

        again.ExitCode.Should().Be(0, again.Stderr);
        using var json = JsonDocument.Parse(again.Stdout);
        (json.RootElement.GetProperty("copied").GetArrayLength() + json.RootElement.GetProperty("skipped").GetArrayLength()).Should().Be(2);
        var listed = await _cli.RunAsync(["snapshots", "--repo", Destination, "--json"], stdin: null, new() { ["BACKUP_PASSWORD"] = DestinationPassword });
        using var snapshots = JsonDocument.Parse(listed.Stdout);
        snapshots.RootElement.GetArrayLength().Should().Be(2, "the snapshot the interrupted copy was writing is copied by the next run, and none twice");
    }

    /// <summary>Runs the tool with <paramref name="args"/> and sends it SIGINT after 4 s.</summary>
    private Task<CliResult> InterruptedAsync(string[] args, Dictionary<string, string?>? environment = null) =>
        _cli.RunInterruptedAsync(args, null, environment, _ => Task.Delay(TimeSpan.FromSeconds(4)), exitWithin: TimeSpan.FromSeconds(30));
}
