using System.CommandLine;

namespace Backup.Cli.Commands;

/// <summary><c>backup ls SNAPSHOT [PATH]</c>: lists a snapshot's entries.</summary>
internal static class LsCommand
{
    public static Command Create(CommandRunner runner)
    {
        var snapshot = new Argument<string>("SNAPSHOT") { Description = "Snapshot ID (a unique prefix of at least 4 digits) or 'latest'." };
        var path = new Argument<string?>("PATH") { Description = "List only this directory (or file) of the snapshot.", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("ls", "List the files and directories in a snapshot.") { snapshot, path };
        runner.Bind(command, (_, _) => throw new CliUsageException("'ls' needs the snapshot walker, which this build does not have yet."));
        return command;
    }
}
