using System.CommandLine;

namespace Backup.Cli.Commands;

/// <summary><c>backup diff SNAP1 SNAP2</c>: what was added, removed and modified between two snapshots.</summary>
internal static class DiffCommand
{
    public static Command Create(CommandRunner runner)
    {
        var first = new Argument<string>("SNAPSHOT1") { Description = "The older snapshot (ID prefix or 'latest')." };
        var second = new Argument<string>("SNAPSHOT2") { Description = "The newer snapshot (ID prefix or 'latest')." };
        var command = new Command("diff", "Show the files added (+), removed (-) and modified (M) between two snapshots.") { first, second };
        runner.Bind(command, (_, _) => throw new CliUsageException("'diff' needs the snapshot differ, which this build does not have yet."));
        return command;
    }
}
