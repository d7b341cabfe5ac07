using System.CommandLine;
using Backup.Core.Snapshots;

namespace Backup.Cli.Commands;

/// <summary><c>backup snapshots</c>: lists snapshots, oldest first.</summary>
internal static class SnapshotsCommand
{
    public static Command Create(CommandRunner runner)
    {
        var tag = new Option<string[]>("--tag") { Description = "Only snapshots with this tag (repeatable: all must match).", HelpName = "TAG" };
        var host = new Option<string?>("--host") { Description = "Only snapshots made on this host.", HelpName = "HOST" };
        var command = new Command("snapshots", "List the snapshots in the repository, oldest first.") { tag, host };
        runner.Bind(command, async (context, ct) =>
        {
            await using var repository = await RepositoryOpener.OpenWithoutIndexAsync(context, ct).ConfigureAwait(false);
            var tags = context.Get(tag) ?? [];
            var hostname = context.Get(host);
            var snapshots = new List<Snapshot>();
            var damaged = new List<string>();
            await foreach (var snapshot in repository.Snapshots.ListAsync((key, ex) => damaged.Add($"{key}: {ex.Message}"), ct).ConfigureAwait(false))
            {
                if ((hostname is null || snapshot.Hostname == hostname) && tags.All(snapshot.Tags.Contains))
                {
                    snapshots.Add(snapshot);
                }
            }

            foreach (var problem in damaged)
            {
                await context.Output.WarnAsync($"skipped damaged snapshot {problem}").ConfigureAwait(false);
            }

            if (context.Json)
            {
                await context.Output.WriteJsonAsync([.. snapshots.Select(SnapshotOutput.From)], CliJson.Default.ListSnapshotOutput).ConfigureAwait(false);
            }
            else
            {
                await context.Output.TableAsync(
                    ["ID", "Time", "Host", "Level", "Parent", "Tags", "Paths", "Size"],
                    snapshots.Select(s => (IReadOnlyList<IReadOnlyList<string>>)[
                        // In this machine's zone, as ls shows times: each snapshot's recorded wall clock would put hosts in other
                        // zones out of order in a list sorted by time.
                        [s.Id.ToShortString()], [Format.Time(s.Time.ToLocalTime())], [s.Hostname], [s.Level.ToString().ToLowerInvariant() + (s.Partial ? " (partial)" : "") + (s.Pinned ? " (pinned)" : "")],
                        // The snapshot an incremental or differential compared against: what Bacula and Veeam users read a chain by.
                        [s.Parent?.ToShortString() ?? ""],
                        [string.Join(',', s.Tags)], s.Paths, [Format.Bytes(s.Statistics.TotalBytes)]])).ConfigureAwait(false);
                await context.Output.InfoAsync($"{snapshots.Count} snapshot(s)").ConfigureAwait(false);
            }

            return damaged.Count > 0 ? ExitCodes.RepositoryDamaged : ExitCodes.Success;
        });
        return command;
    }
}
