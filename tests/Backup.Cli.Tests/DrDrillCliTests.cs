namespace Backup.Cli.Tests;

/// <summary><c>backup dr drill</c>'s command line (the drills themselves are tested at library level, against real servers).</summary>
public sealed class DrDrillCliTests : IDisposable
{
    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Drill_has_help_naming_the_plan_the_system_option_and_the_exit_codes()
    {
        var result = await _cli.RunAsync("dr", "drill", "--help");

        result.ExitCode.Should().Be(0, result.Stderr);
        result.Stdout.Should().Contain("backup dr drill").And.Contain("PLAN").And.Contain("--system").And.Contain("Exit codes:");
    }

    [Fact]
    public async Task Drill_without_a_plan_is_a_usage_error()
    {
        var result = await _cli.RunAsync("dr", "drill");

        result.ExitCode.Should().Be(2);
        result.Stderr.Should().Contain("usage error").And.Contain("drill");
    }
}
