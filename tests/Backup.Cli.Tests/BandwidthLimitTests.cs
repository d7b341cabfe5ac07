namespace Backup.Cli.Tests;

/// <summary>--limit-upload and --limit-download: accepted on every verb, a bad rate a usage error naming the option.</summary>
public sealed class BandwidthLimitTests : IDisposable
{
    private readonly CliRunner _cli = new();

    public BandwidthLimitTests()
    {
        Directory.CreateDirectory(_cli.PathOf("src"));
        File.WriteAllBytes(_cli.PathOf("src/b.bin"), [.. Enumerable.Range(0, 200_000).Select(i => (byte)(i * 7 % 251))]);
    }

    public void Dispose() => _cli.Dispose();

    [Theory]
    [InlineData("--limit-upload", "fast")]
    [InlineData("--limit-download", "0")]
    [InlineData("--limit-upload", "10X")]
    public async Task A_bad_rate_is_a_usage_error_naming_the_option(string option, string rate)
    {
        await _cli.InitAsync();

        var result = await _cli.RunAsync("snapshots", option, rate);

        result.ExitCode.Should().Be(2);
        result.Stderr.Trim().Should().StartWith("backup: usage error:").And.Contain(option).And.Contain($"'{rate}'");
    }

    [Fact]
    public async Task A_backup_and_restore_under_limits_round_trip()
    {
        await _cli.InitAsync();

        var create = await _cli.RunAsync("create", "src", "--limit-upload", "64M", "--limit-download", "1.5MiB");
        create.ExitCode.Should().Be(0, create.Stderr);
        var restore = await _cli.RunAsync("restore", "latest", "--target", _cli.PathOf("out"), "--limit-download", "64M");
        restore.ExitCode.Should().Be(0, restore.Stderr);

        Directory.GetFiles(_cli.PathOf("out"), "b.bin", SearchOption.AllDirectories).Should().ContainSingle()
            .Which.Should().Match(path => File.ReadAllBytes(path).SequenceEqual(File.ReadAllBytes(_cli.PathOf("src/b.bin"))));
    }
}
