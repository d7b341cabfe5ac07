using System.CommandLine;

namespace Backup.Cli.Commands;

/// <summary><c>backup pin SNAPSHOT...</c> and <c>backup unpin SNAPSHOT...</c>: retention never removes a pinned snapshot.</summary>
internal static class PinCommand
{
    public static Command Create(CommandRunner runner, bool pin)
    {
        var snapshots = new Argument<string[]>("SNAPSHOT")
        {
            Description = "The snapshots (ID prefix or 'latest').",
            Arity = ArgumentArity.OneOrMore,
            Validators = { SnapshotIds.Validate },
        };
        var command = pin
            ? new Command("pin", "Pin snapshots: 'forget' keeps them whatever its rules say. A pinned snapshot gets a new ID (snapshot objects are immutable; the old one is replaced under an exclusive lock).") { snapshots }
            : new Command("unpin", "Unpin snapshots, so that 'forget' rules decide about them again. The snapshot gets a new ID.") { snapshots };
        runner.Bind(command, async (context, ct) =>
        {
            context.RefuseInAppendOnlyMode(pin ? "pin" : "unpin", "replaces the snapshot object (it gets a new ID)");
            await using var repository = await RepositoryOpener.OpenAsync(context, writes: true, ct).ConfigureAwait(false);
            // Every name is resolved before anything changes: a snapshot gets a new ID when it is pinned, so a typo in
            // the third name must not leave the first two changed with their new IDs unreported, and a snapshot
            // named twice is changed once.
            var found = new List<Backup.Core.Snapshots.Snapshot>();
            foreach (var idOrPrefix in context.Get(snapshots) ?? [])
            {
                found.Add(await SnapshotArgument.FindAsync(context, repository, idOrPrefix, ct).ConfigureAwait(false));
            }

            var results = new List<PinOutput>();
            foreach (var snapshot in found.DistinctBy(s => s.Id))
            {
                var changed = await repository.Snapshots.SetPinnedAsync(snapshot.Id, pin, ct).ConfigureAwait(false);
                var output = new PinOutput(snapshot.Id.ToString(), changed.Id.ToString(), changed.Pinned, changed.Id != snapshot.Id);
                results.Add(output);
                if (!context.Json)
                {
                    await context.Output.InfoAsync(output.Changed
                        ? $"{(pin ? "pinned" : "unpinned")} snapshot {snapshot.Id.ToShortString()}, now {changed.Id.ToShortString()}"
                        : $"snapshot {snapshot.Id.ToShortString()} was already {(pin ? "pinned" : "unpinned")}").ConfigureAwait(false);
                }
            }

            if (context.Json)
            {
                await context.Output.WriteJsonAsync(results, CliJson.Default.ListPinOutput).ConfigureAwait(false);
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
