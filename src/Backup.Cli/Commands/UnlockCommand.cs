using System.CommandLine;
using Backup.Core.Repository;

namespace Backup.Cli.Commands;

/// <summary><c>backup unlock [--remove-all [--yes]]</c>: removes locks left behind by processes that are gone.</summary>
internal static class UnlockCommand
{
    public static Command Create(CommandRunner runner)
    {
        var removeAll = new Option<bool>("--remove-all")
        {
            Description = "Remove every lock, also live ones of other hosts: only when you know their processes are gone (the host is down). Asks first.",
        };
        var yes = new Option<bool>("--yes", "-y") { Description = "With --remove-all: do not ask (required without a terminal)." };
        var command = new Command(
            "unlock",
            "Remove stale locks: expired ones, and ones of processes on this host that no longer run. Locks of other hosts count as live until they expire.")
        {
            removeAll, yes,
        };
        runner.Bind(command, async (context, ct) =>
        {
            var all = context.Get(removeAll);
            if (context.Get(yes) && !all)
            {
                throw new CliUsageException("--yes only confirms --remove-all; 'backup unlock' alone removes only stale locks and does not ask.");
            }

            if (all && !context.Get(yes) && context.Console.IsInputRedirected)
            {
                throw new CliUsageException("--remove-all also removes locks of processes that may still run, so it asks first, and there is no terminal to ask on: add --yes once you know every holder is gone.");
            }

            await using var repository = await RepositoryOpener.OpenWithoutIndexAsync(context, ct).ConfigureAwait(false);
            if (all && !context.Get(yes) && !await ConfirmAsync(context, repository.Location, ct).ConfigureAwait(false))
            {
                await context.Console.Error.WriteLineAsync("backup: nothing removed").ConfigureAwait(false);
                return ExitCodes.Error;
            }

            var removed = all
                ? await repository.RemoveAllLocksAsync(ct).ConfigureAwait(false)
                : await repository.RemoveStaleLocksAsync(ct).ConfigureAwait(false);
            if (context.Json)
            {
                await context.Output.WriteJsonAsync(new UnlockOutput(all ? "all" : "stale", removed.Count, [.. removed.Select(RemovedLockOutput.From)]), CliJson.Default.UnlockOutput).ConfigureAwait(false);
                return ExitCodes.Success;
            }

            foreach (var held in removed)
            {
                await context.Output.InfoAsync($"removed {Describe(held)}").ConfigureAwait(false);
            }

            await context.Output.InfoAsync(removed.Count switch
            {
                0 => all ? "No locks." : "No stale locks.",
                1 => "Removed 1 lock.",
                var n => $"Removed {n} locks.",
            }).ConfigureAwait(false);
            if (!all)
            {
                // What still blocks a prune is what the operator came for.
                // Read again for what remains: a lock object that does not authenticate was reported by the first read.
                var report = repository.Locking.UnauthenticatedLockFound;
                repository.Locking.UnauthenticatedLockFound = null;
                var live = (await repository.ListLocksAsync(ct).ConfigureAwait(false)).Where(l => l.StaleReason is null).Select(Describe).ToList();
                repository.Locking.UnauthenticatedLockFound = report;
                if (live.Count > 0)
                {
                    await context.Output.WarnAsync($"{Format.Count(live.Count, "live lock remains", "live locks remain")} ({string.Join("; ", live)}): " +
                        "each expires unless its process refreshes it; once you know a holder is gone, 'backup unlock --remove-all' removes it.").ConfigureAwait(false);
                }
            }

            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>One removed lock, for the operator: whose it was and why it could go.</summary>
    private static string Describe(RepositoryLockInfo held)
    {
        var since = held.Taken is { } taken ? $", since {taken:u}" : "";
        var why = held.StaleReason is { } reason ? $"stale: {reason}" : "live";
        return $"{(held.IsExclusive ? "exclusive" : "shared")} lock of '{held.Purpose ?? "?"}' on host {held.Hostname ?? "?"}, pid {held.ProcessId}{since} ({why})";
    }

    private static async Task<bool> ConfirmAsync(CommandContext context, string location, CancellationToken cancellationToken)
    {
        await context.Console.Error.WriteAsync(TerminalText.Escape(
            $"Remove every lock on the repository in {location}, also those of processes that may still run? A prune meanwhile could delete data their backups are writing. [y/N] ")).ConfigureAwait(false);
        using var reader = new StreamReader(context.Console.OpenStandardInput());
        var answer = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
        return answer?.Trim() is "y" or "Y" or "yes" or "YES" or "Yes";
    }
}
