using Backup.Core;
using Backup.Core.Snapshots;

namespace Backup.Cli;

/// <summary>
/// Resolves a command's snapshot argument: an ID or prefix names one snapshot; 'latest' is the newest not dated ahead
/// of this machine's clock (<see cref="SnapshotStore.FindLatestAsync"/>), and a warning names any passed over for
/// that, whichever command was given it, so that 'pin latest' or 'copy latest' never takes another snapshot silently.
/// </summary>
internal static class SnapshotArgument
{
    /// <summary>The snapshot <paramref name="idOrLatest"/> names.</summary>
    /// <exception cref="Backup.Core.Repository.SnapshotNotFoundException">No snapshot matches.</exception>
    public static Task<Snapshot> FindAsync(CommandContext context, BackupRepository repository, string idOrLatest, CancellationToken cancellationToken) =>
        idOrLatest.Equals("latest", StringComparison.OrdinalIgnoreCase)
            ? FindLatestAsync(context, repository, filter: null, $"The repository in {repository.Location} has no snapshots yet.", cancellationToken)
            : repository.Snapshots.FindAsync(idOrLatest, cancellationToken);

    /// <summary>The newest snapshot <paramref name="filter"/> accepts (any when null); <paramref name="noneMessage"/> when none matches.</summary>
    public static async Task<Snapshot> FindLatestAsync(CommandContext context, BackupRepository repository, Func<Snapshot, bool>? filter, string noneMessage, CancellationToken cancellationToken)
    {
        var found = await repository.Snapshots.FindLatestAsync(filter, TimeProvider.System.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        return await ReportAsync(context, found, noneMessage, repository).ConfigureAwait(false);
    }

    /// <summary>The snapshot <paramref name="found"/> holds (<paramref name="noneMessage"/> when none), after a warning about any dated ahead.</summary>
    public static async Task<Snapshot> ReportAsync(CommandContext context, LatestSnapshot found, string noneMessage, BackupRepository repository)
    {
        var latest = found.GetOrThrow(noneMessage, repository.Location);
        if (found.DatedAheadWarning is { } warning)
        {
            await context.Output.WarnAsync(warning).ConfigureAwait(false);
        }

        return latest;
    }
}
