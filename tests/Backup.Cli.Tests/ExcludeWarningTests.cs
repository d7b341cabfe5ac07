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

    [Fact]
    public async Task An_exclude_that_cannot_be_compiled_is_a_usage_error_naming_it_and_an_unclosed_bracket_is_literal()
    {
        await _cli.InitAsync();
        var root = _cli.PathOf("src");
        Directory.CreateDirectory(root);
        await File.WriteAllTextAsync(Path.Combine(root, "foo["), "literal");
        await File.WriteAllTextAsync(Path.Combine(root, "keep.txt"), "keep");

        var reversed = await _cli.RunAsync("create", root, "--exclude", "[z-a]");
        var unclosed = await _cli.RunAsync("create", root, "--exclude", "foo[");

        reversed.ExitCode.Should().Be(2, reversed.Stderr);
        reversed.Stderr.Should().Contain("Exclude pattern '[z-a]' is not valid: the range z-a is reversed; write [a-z].").And.NotContain("   at ");
        unclosed.ExitCode.Should().Be(0, unclosed.Stderr);
        var listed = await _cli.RunAsync("ls", "latest");
        listed.Stdout.Should().Contain("keep.txt").And.NotContain("foo[");
    }

    public void Dispose() => _cli.Dispose();
}
