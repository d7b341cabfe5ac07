using System.CommandLine;
using Backup.Core.Maintenance;

namespace Backup.Cli.Commands;

/// <summary><c>backup repair index|snapshots</c>: rebuilds the index from the packs, or rewrites snapshots that reference lost data.</summary>
internal static class RepairCommand
{
    public static Command Create(CommandRunner runner)
    {
        var command = new Command("repair", "Repair a damaged repository: first 'repair index', then 'repair snapshots'. Both take the exclusive lock.");
        command.Subcommands.Add(Index(runner));
        command.Subcommands.Add(Snapshots(runner));
        return command;
    }

    private static Command Index(CommandRunner runner)
    {
        var readData = new Option<bool>("--read-data") { Description = "Also download every pack and verify every blob; packs with damaged blobs are rewritten without them." };
        var command = new Command(
            "index",
            "Rebuild the index from the packs' own headers, replacing every old index object. Packs with unreadable headers are salvaged where possible and removed.")
        {
            readData,
        };
        runner.Bind(command, async (context, ct) =>
        {
            context.RefuseInAppendOnlyMode("repair index", "replaces the index objects and deletes the old ones");
            await using var repository = await RepositoryOpener.OpenWithoutIndexAsync(context, writes: true, ct).ConfigureAwait(false);
            var result = await new MaintenanceService(repository).RepairIndexAsync(new RepairIndexOptions { ReadData = context.Get(readData) }, ct).ConfigureAwait(false);
            return await ReportAsync(context, "index", result).ConfigureAwait(false);
        });
        return command;
    }

    private static Command Snapshots(CommandRunner runner)
    {
        var dryRun = new Option<bool>("--dry-run", "-n") { Description = "Show what would be dropped or removed; change nothing." };
        var command = new Command(
            "snapshots",
            "Rewrite every snapshot that references missing data so it restores: files missing data are dropped, and the new snapshot is marked partial and tagged 'repaired'. " +
            "Snapshot objects that do not decode are removed. Run 'repair index' first.")
        {
            dryRun,
        };
        runner.Bind(command, async (context, ct) =>
        {
            if (!context.Get(dryRun))
            {
                context.RefuseInAppendOnlyMode("repair snapshots", "replaces damaged snapshots and deletes the originals");
            }

            await using var repository = await RepositoryOpener.OpenWithoutIndexAsync(context, writes: !context.Get(dryRun), ct).ConfigureAwait(false);
            var result = await new MaintenanceService(repository).RepairSnapshotsAsync(context.Get(dryRun), ct).ConfigureAwait(false);
            return await ReportAsync(context, "snapshots", result).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<int> ReportAsync(CommandContext context, string action, RepairResult result)
    {
        if (context.Json)
        {
            await context.Output.WriteJsonAsync(RepairOutput.From(action, result), CliJson.Default.RepairOutput).ConfigureAwait(false);
            return ExitCodes.Success;
        }

        foreach (var dropped in result.Dropped)
        {
            await context.Output.InfoAsync((result.DryRun ? "would drop: " : "dropped: ") + dropped).ConfigureAwait(false);
        }

        var would = result.DryRun ? "would be " : "";
        var summary = action == "index"
            ? $"Indexed {result.PacksIndexed} pack(s); {result.PacksRemoved} damaged pack(s) {would}removed, {result.BlobsSalvaged} blob(s) salvaged, " +
              $"{result.BlobsLost} lost; {result.IndexesReplaced} old index object(s) {would}replaced"
            : $"{result.SnapshotsRewritten} snapshot(s) {would}rewritten, {result.SnapshotsRemoved} {would}removed";
        await context.Output.InfoAsync(
            (result.DryRun ? "Dry run, nothing changed. " : "") + (result.NothingToDo ? "Nothing to repair. " : "") + summary + $" ({Format.Seconds(result.Duration)}).").ConfigureAwait(false);
        return ExitCodes.Success;
    }
}
