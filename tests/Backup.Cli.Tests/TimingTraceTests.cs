using System.Globalization;
using System.Text.RegularExpressions;

namespace Backup.Cli.Tests;

/// <summary>BACKUP_TRACE_TIMINGS=1: where a command's time went (start-up, each phase of opening the repository, the operation) on stderr.</summary>
public sealed partial class TimingTraceTests : IDisposable
{
    private readonly CliRunner _cli = new();

    public TimingTraceTests()
    {
        Directory.CreateDirectory(_cli.PathOf("src"));
        File.WriteAllText(_cli.PathOf("src/a.txt"), "some text to back up");
    }

    public void Dispose() => _cli.Dispose();

    [GeneratedRegex(@"^backup: time: ( *)([a-z.-]+) ([0-9]+\.[0-9]) ms", RegexOptions.Multiline)]
    private static partial Regex TimingLine();

    [Fact]
    public async Task With_timings_on_a_command_prints_each_phase_of_opening_the_repository_and_its_operation_on_stderr()
    {
        await _cli.InitAsync();

        var backup = await _cli.RunAsync(["create", "src"], stdin: null, new() { ["BACKUP_TRACE_TIMINGS"] = "1" });
        var listing = await _cli.RunAsync(["snapshots", "--json"], stdin: null, new() { ["BACKUP_TRACE_TIMINGS"] = "1" });
        var plain = await _cli.RunAsync(["snapshots", "--json"], stdin: null, new() { ["BACKUP_TRACE_TIMINGS"] = null });

        backup.ExitCode.Should().Be(0, backup.Stderr);
        var phases = Phases(backup.Stderr);
        phases.Keys.Should().Contain(["start-up", "open.config", "open.keys", "open.kdf", "open.index", "index.list", "index.read", "index.packs", "lock", "index.refresh", "backup", "command"]);
        phases.Values.Should().OnlyContain(ms => ms >= 0);
        phases["open.kdf"].Should().BeLessThanOrEqualTo(phases["command"], "the key derivation is part of the command");
        TimingLine().Matches(backup.Stderr).Single(m => m.Groups[2].Value == "index.read").Groups[1].Value.Should().Be("  ", "the index read is shown inside the index load");

        listing.ExitCode.Should().Be(0, listing.Stderr);
        listing.Stdout.TrimStart().Should().StartWith("[", "stdout keeps only the command's output");
        Phases(listing.Stderr).Keys.Should().Contain(["open.kdf", "snapshots.list", "command"]);
        Phases(listing.Stderr).Keys.Should().NotContain("open.index", "listing snapshots needs no index");

        plain.ExitCode.Should().Be(0, plain.Stderr);
        plain.Stderr.Should().NotContain("backup: time:");
    }

    private static Dictionary<string, double> Phases(string stderr) =>
        TimingLine().Matches(stderr).GroupBy(m => m.Groups[2].Value).ToDictionary(g => g.Key, g => double.Parse(g.First().Groups[3].Value, CultureInfo.InvariantCulture));
}
