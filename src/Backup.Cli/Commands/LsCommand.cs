using System.CommandLine;
using Backup.Core.Snapshots;

namespace Backup.Cli.Commands;

/// <summary><c>backup ls SNAPSHOT [PATH]</c>: lists a snapshot's entries.</summary>
internal static class LsCommand
{
    public static Command Create(CommandRunner runner)
    {
        var snapshotArgument = new Argument<string>("SNAPSHOT") { Description = "Snapshot ID (a unique prefix of at least 4 digits) or 'latest'.", Validators = { SnapshotIds.Validate } };
        var pathArgument = new Argument<string?>("PATH") { Description = "List only this directory (and everything below it) or file of the snapshot.", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("ls", "List the files and directories in a snapshot (paths as stored: absolute, without the leading '/').") { snapshotArgument, pathArgument };
        var latest = new LatestFilter();
        latest.AddTo(command);
        runner.Bind(command, async (context, ct) =>
        {
            await using var repository = await RepositoryOpener.OpenAsync(context, ct).ConfigureAwait(false);
            var snapshot = await latest.FindAsync(context, repository, context.Get(snapshotArgument)!, ct).ConfigureAwait(false);
            var path = (context.Get(pathArgument) ?? string.Empty).Trim('/');
            var start = await SnapshotWalker.FindAsync(repository.Snapshots, snapshot, path, ct).ConfigureAwait(false)
                ?? throw new FileNotFoundException($"Snapshot {snapshot.Id.ToShortString()} has no path '{context.Get(pathArgument)}'.");
            var entries = new List<EntryOutput>();
            if (path.Length > 0)
            {
                await EmitAsync(context, entries, path, start).ConfigureAwait(false);
            }

            if (start is { Type: NodeType.Directory, Subtree: { } subtree })
            {
                await foreach (var (childPath, node) in SnapshotWalker.WalkAsync(repository.Snapshots, subtree, path, ct).ConfigureAwait(false))
                {
                    await EmitAsync(context, entries, childPath, node).ConfigureAwait(false);
                }
            }

            if (context.Json)
            {
                await context.Output.WriteJsonAsync(entries, CliJson.Default.ListEntryOutput).ConfigureAwait(false);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static async Task EmitAsync(CommandContext context, List<EntryOutput> entries, string path, TreeNode node)
    {
        if (context.Json)
        {
            entries.Add(new EntryOutput(path, NodeFormat.Kind(node.Type), node.Size, NodeFormat.Mode(node), NodeFormat.Mtime(node), node.LinkTarget));
            return;
        }

        var link = node.Type == NodeType.Symlink ? $" -> {node.LinkTarget}" : string.Empty;
        var size = node.Type == NodeType.File ? node.Size.ToString(System.Globalization.CultureInfo.InvariantCulture) : "";
        await context.Output.LineAsync($"{NodeFormat.Mode(node)} {size,12} {Format.Time(NodeFormat.Mtime(node).ToLocalTime())} /{path}{link}").ConfigureAwait(false);
    }
}
