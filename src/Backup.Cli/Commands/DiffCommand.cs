using System.CommandLine;
using Backup.Core.Snapshots;

namespace Backup.Cli.Commands;

/// <summary><c>backup diff SNAP1 SNAP2</c>: what was added, removed and modified between two snapshots.</summary>
internal static class DiffCommand
{
    public static Command Create(CommandRunner runner)
    {
        var first = new Argument<string>("SNAPSHOT1") { Description = "The older snapshot (ID prefix or 'latest').", Validators = { SnapshotIds.Validate } };
        var second = new Argument<string>("SNAPSHOT2") { Description = "The newer snapshot (ID prefix or 'latest').", Validators = { SnapshotIds.Validate } };
        var command = new Command("diff", "Show what changed between two snapshots: + added, - removed, M content modified, U metadata only, T type changed.") { first, second };
        runner.Bind(command, async (context, ct) =>
        {
            await using var repository = await RepositoryOpener.OpenAsync(context, ct).ConfigureAwait(false);
            var older = await SnapshotArgument.FindAsync(context, repository, context.Get(first)!, ct).ConfigureAwait(false);
            var newer = await SnapshotArgument.FindAsync(context, repository, context.Get(second)!, ct).ConfigureAwait(false);
            var changes = new List<DiffChangeOutput>();
            int added = 0, removed = 0, modified = 0;
            await foreach (var change in SnapshotDiff.CompareAsync(repository.Snapshots, older, newer, ct).ConfigureAwait(false))
            {
                var (symbol, name) = change.Kind switch
                {
                    SnapshotChangeKind.Added => ("+", "added"),
                    SnapshotChangeKind.Removed => ("-", "removed"),
                    _ when change.Old?.Type != change.New?.Type => ("T", "type"),
                    _ when change.ContentChanged => ("M", "modified"),
                    _ => ("U", "metadata"),
                };
                switch (change.Kind)
                {
                    case SnapshotChangeKind.Added: added++; break;
                    case SnapshotChangeKind.Removed: removed++; break;
                    default: modified++; break;
                }

                var node = change.New ?? change.Old!;
                changes.Add(new DiffChangeOutput(name, change.Path, NodeFormat.Kind(node.Type), change.Old?.Size ?? 0, change.New?.Size ?? 0));
                await context.Output.LineAsync($"{symbol}    /{change.Path}{(node.Type == NodeType.Directory ? "/" : "")}").ConfigureAwait(false);
            }

            if (context.Json)
            {
                await context.Output.WriteJsonAsync(new DiffOutput(older.Id.ToString(), newer.Id.ToString(), added, removed, modified, changes), CliJson.Default.DiffOutput).ConfigureAwait(false);
            }
            else
            {
                await context.Output.InfoAsync($"{added} added, {removed} removed, {modified} changed").ConfigureAwait(false);
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
