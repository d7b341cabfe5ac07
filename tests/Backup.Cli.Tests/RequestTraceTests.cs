using System.Text.Json;
using System.Text.RegularExpressions;

namespace Backup.Cli.Tests;

/// <summary>BACKUP_TRACE_REQUESTS=1: one line per target on stderr with the storage calls the command made.</summary>
public sealed partial class RequestTraceTests : IDisposable
{
    private readonly CliRunner _cli = new();

    public RequestTraceTests()
    {
        Directory.CreateDirectory(_cli.PathOf("src"));
        File.WriteAllBytes(_cli.PathOf("src/data.bin"), [.. Enumerable.Range(0, 300_000).Select(i => (byte)(i * 13 % 251))]);
    }

    public void Dispose() => _cli.Dispose();

    [GeneratedRegex(@"^backup: requests to local directory '.+': (\d+) calls \(put (\d+), get (\d+), list (\d+), delete (\d+), stat (\d+)\); [0-9.]+ MB put, [0-9.]+ MB got$", RegexOptions.Multiline)]
    private static partial Regex SummaryLine();

    [Fact]
    public async Task With_tracing_on_a_backup_prints_its_storage_calls_on_stderr_and_leaves_stdout_alone()
    {
        await _cli.InitAsync();

        var traced = await _cli.RunAsync(["create", "src", "--json"], stdin: null, new() { ["BACKUP_TRACE_REQUESTS"] = "1" });
        var plain = await _cli.RunAsync(["create", "src", "--json"], stdin: null, new() { ["BACKUP_TRACE_REQUESTS"] = null });

        traced.ExitCode.Should().Be(0, traced.Stderr);
        JsonDocument.Parse(traced.Stdout).RootElement.GetProperty("snapshot").GetProperty("id").GetString().Should().NotBeNullOrEmpty();
        var match = SummaryLine().Match(traced.Stderr);
        match.Success.Should().BeTrue(traced.Stderr);
        var numbers = Enumerable.Range(1, 6).Select(i => long.Parse(match.Groups[i].Value, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        numbers[0].Should().Be(numbers[1..].Sum(), "the total is the sum of the kinds");
        numbers[1].Should().BeGreaterThanOrEqualTo(4, "a first backup puts its lock, a pack, an index and the snapshot");
        numbers[4].Should().BeGreaterThanOrEqualTo(1, "it deletes its lock");

        plain.ExitCode.Should().Be(0, plain.Stderr);
        plain.Stderr.Should().NotContain("requests to");
    }

    [Fact]
    public async Task Opening_with_a_password_from_the_environment_reads_the_config_once()
    {
        await _cli.InitAsync();
        (await _cli.RunAsync(["create", "src"])).ExitCode.Should().Be(0);

        var traced = await _cli.RunAsync(["snapshots"], stdin: null, new() { ["BACKUP_TRACE_REQUESTS"] = "1" });

        traced.ExitCode.Should().Be(0, traced.Stderr);
        var match = SummaryLine().Match(traced.Stderr);
        match.Success.Should().BeTrue(traced.Stderr);
        match.Groups[3].Value.Should().Be("3", "listing snapshots gets the config, the key and the one snapshot; on a remote store every extra get is a request");
    }
}
