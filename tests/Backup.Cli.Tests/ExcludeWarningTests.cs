namespace Backup.Cli.Tests;

/// <summary>An operator used to restic writes --exclude as an absolute path; matched below each root, it excluded nothing, without a word.</summary>
public sealed class ExcludeWarningTests : IDisposable
{
    private readonly CliRunner _cli = new();

    [Fact]
    public async Task An_absolute_exclude_below_the_root_is_warned_about_with_the_pattern_that_works()
    {
        await _cli.InitAsync();
        var root = _cli.PathOf("src");
        Directory.CreateDirectory(Path.Combine(root, "cache"));
        await File.WriteAllTextAsync(Path.Combine(root, "cache", "big.tmp"), "cached");
        await File.WriteAllTextAsync(Path.Combine(root, "keep.txt"), "keep");

        var absolute = await _cli.RunAsync("create", root, "--exclude", Path.Combine(root, "cache"));
        var anchored = await _cli.RunAsync("create", root, "--exclude", "/cache", "--tag", "anchored");

        absolute.ExitCode.Should().Be(0, absolute.Stderr);
        absolute.Stderr.Should().Contain($"--exclude '{Path.Combine(root, "cache")}' is an absolute path below the backup root '{root}'").And.Contain("write '/cache' to exclude it");
        anchored.ExitCode.Should().Be(0, anchored.Stderr);
        anchored.Stderr.Should().NotContain("warning");
        var listed = await _cli.RunAsync("ls", "latest");
        listed.Stdout.Should().Contain("keep.txt").And.NotContain("big.tmp");
    }

    public void Dispose() => _cli.Dispose();
}
