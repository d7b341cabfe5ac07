using System.CommandLine;
using Backup.Core.Repository;

namespace Backup.Cli.Commands;

/// <summary><c>backup stats [SNAPSHOT]</c>: repository totals, or one snapshot's statistics.</summary>
internal static class StatsCommand
{
    public static Command Create(CommandRunner runner)
    {
        var snapshotArgument = new Argument<string?>("SNAPSHOT")
        {
            Description = "Show this snapshot's statistics (ID prefix or 'latest') instead of the repository's.",
            Arity = ArgumentArity.ZeroOrOne,
            Validators = { SnapshotIds.Validate },
        };
        var command = new Command("stats", "Show repository statistics: snapshots, keys, packs, blobs and sizes.") { snapshotArgument };
        runner.Bind(command, async (context, ct) =>
        {
            await using var repository = await RepositoryOpener.OpenAsync(context, ct).ConfigureAwait(false);
            if (context.Get(snapshotArgument) is { } id)
            {
                var snapshot = await SnapshotArgument.FindAsync(context, repository, id, ct).ConfigureAwait(false);
                var stats = StatisticsOutput.From(snapshot.Statistics);
                if (context.Json)
                {
                    await context.Output.WriteJsonAsync(new SnapshotStatsOutput(snapshot.Id.ToString(), stats), CliJson.Default.SnapshotStatsOutput).ConfigureAwait(false);
                    return ExitCodes.Success;
                }

                await context.Output.TableAsync(["Snapshot " + snapshot.Id.ToShortString(), ""], [
                    ["Files", $"{stats.Files}"],
                    ["Directories", $"{stats.Directories}"],
                    ["Files read", $"{stats.FilesRead}"],
                    ["Total size", Format.Bytes(stats.TotalBytes)],
                    ["Bytes read", Format.Bytes(stats.BytesRead)],
                    ["Blobs added", $"{stats.BlobsAdded}"],
                    ["Data added", Format.Bytes(stats.BytesAdded)],
                    ["Stored", Format.Bytes(stats.BytesStored)],
                    ["Errors", $"{stats.Errors}"],
                    ["Duration", Format.Seconds(snapshot.Statistics.Duration)],
                ]).ConfigureAwait(false);
                return ExitCodes.Success;
            }

            var storage = await repository.GetStorageStatisticsAsync(ct).ConfigureAwait(false);
            var keys = (await repository.Keys.ListKeysAsync(ct).ConfigureAwait(false)).Count;
            var output = new RepositoryStatsOutput(
                repository.Config.Id, repository.Location, repository.Config.Created, repository.Config.Compression, storage.Snapshots, keys, storage.Packs, storage.PackBytes,
                storage.IndexObjects, storage.IndexBytes, storage.IndexedBlobs, storage.TotalBytes);
            if (context.Json)
            {
                await context.Output.WriteJsonAsync(output, CliJson.Default.RepositoryStatsOutput).ConfigureAwait(false);
                return ExitCodes.Success;
            }

            await context.Output.TableAsync(["Repository " + output.RepositoryId, ""], [
                ["Location", output.Location],
                ["Created", Format.Time(output.Created)],
                ["Compression", output.Compression],
                ["Snapshots", $"{output.Snapshots}"],
                ["Keys", $"{output.Keys}"],
                ["Packs", $"{output.Packs} ({Format.Bytes(output.PackBytes)})"],
                ["Index objects", $"{output.IndexObjects} ({Format.Bytes(output.IndexBytes)})"],
                ["Blobs", $"{output.Blobs}"],
                ["Stored size", Format.Bytes(output.TotalBytes)],
            ]).ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }
}
