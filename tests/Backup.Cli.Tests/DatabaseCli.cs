using System.Text.Json;

namespace Backup.Cli.Tests;

/// <summary>Helpers shared by the database CLI tests.</summary>
internal static class DatabaseCli
{
    /// <summary>How many snapshots the repository holds, as 'snapshots --json' lists them.</summary>
    public static async Task<int> CountSnapshotsAsync(CliRunner cli)
    {
        var result = await cli.RunAsync("snapshots", "--json");
        result.ExitCode.Should().Be(0, result.Stderr);
        return JsonDocument.Parse(result.Stdout).RootElement.GetArrayLength();
    }

    /// <summary>The snapshot ID printed by 'create --json'.</summary>
    public static string SnapshotId(CliResult create)
    {
        create.ExitCode.Should().Be(0, create.Stderr);
        return JsonDocument.Parse(create.Stdout).RootElement.GetProperty("snapshot").GetProperty("id").GetString()!;
    }
}
