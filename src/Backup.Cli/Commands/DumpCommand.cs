using System.CommandLine;

namespace Backup.Cli.Commands;

/// <summary><c>backup dump SNAPSHOT [PATH]</c>: writes one file's bytes, or a tar stream of a snapshot or subtree, to stdout.</summary>
internal static class DumpCommand
{
    public static Command Create(CommandRunner runner)
    {
        var snapshot = new Argument<string>("SNAPSHOT") { Description = "Snapshot ID (a unique prefix of at least 4 digits) or 'latest'." };
        var path = new Argument<string?>("PATH") { Description = "A file (its bytes are written) or directory (a tar stream is written); the whole snapshot as tar when omitted.", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("dump", "Write a file from a snapshot, or a tar archive of a snapshot or directory, to stdout.") { snapshot, path };
        runner.Bind(command, (_, _) => throw new CliUsageException("'dump' needs the snapshot dumper, which this build does not have yet."));
        return command;
    }
}
