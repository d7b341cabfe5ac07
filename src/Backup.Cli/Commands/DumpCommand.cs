using System.CommandLine;
using Backup.Core.Snapshots;
using Backup.Core.Restore;

namespace Backup.Cli.Commands;

/// <summary><c>backup dump SNAPSHOT [PATH]</c>: writes one file's bytes, or a tar stream of a snapshot or subtree, to stdout.</summary>
internal static class DumpCommand
{
    public static Command Create(CommandRunner runner)
    {
        var snapshotArgument = new Argument<string>("SNAPSHOT") { Description = "Snapshot ID (a unique prefix of at least 4 digits) or 'latest'.", Validators = { SnapshotIds.Validate } };
        var pathArgument = new Argument<string?>("PATH")
        {
            Description = "A file (its bytes are written) or directory (a tar archive is written); the whole snapshot as tar when omitted.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var command = new Command("dump", "Write a file from a snapshot, or a tar archive of a snapshot or directory, to stdout.") { snapshotArgument, pathArgument };
        var latest = new LatestFilter();
        latest.AddTo(command);
        runner.Bind(command, async (context, ct) =>
        {
            if (context.Json)
            {
                throw new CliUsageException("'dump' writes file content or a tar archive to stdout; --json does not apply.");
            }

            await using var repository = await RepositoryOpener.OpenAsync(context, ct).ConfigureAwait(false);
            var snapshot = await latest.FindAsync(context, repository, context.Get(snapshotArgument)!, ct).ConfigureAwait(false);
            var path = (context.Get(pathArgument) ?? string.Empty).Trim('/');
            var node = await SnapshotWalker.FindAsync(repository.Snapshots, snapshot, path, ct).ConfigureAwait(false)
                ?? throw new FileNotFoundException($"Snapshot {snapshot.Id.ToShortString()} has no path '{context.Get(pathArgument)}'.");
            var asTar = node.Type != NodeType.File;
            if (asTar && !context.Console.IsOutputRedirected)
            {
                throw new CliUsageException("Refusing to write a tar archive to a terminal; redirect stdout to a file or pipe.");
            }

            var output = context.Console.OpenStandardOutput();
            await using (output.ConfigureAwait(false))
            {
                if (asTar)
                {
                    await SnapshotDumper.WriteTarAsync(repository, snapshot, path, output, ct).ConfigureAwait(false);
                }
                else
                {
                    await SnapshotDumper.WriteFileAsync(repository, snapshot, path, output, ct).ConfigureAwait(false);
                }

                await output.FlushAsync(ct).ConfigureAwait(false);
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
