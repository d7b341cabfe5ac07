using System.CommandLine;
using Backup.Core;
using Backup.Core.Repository;
using Backup.Core.Snapshots;

namespace Backup.Cli;

/// <summary>
/// <c>--host</c>, <c>--path</c> and <c>--tag</c>: which snapshots <c>latest</c> chooses among. Without them it is the newest snapshot
/// of the repository, whatever it backed up, which in a repository shared by several jobs or hosts is seldom the one
/// meant.
/// </summary>
internal sealed class LatestFilter
{
    private readonly Option<string?> _host = new("--host") { Description = "With 'latest': the newest snapshot made on HOST.", HelpName = "HOST" };

    private readonly Option<string[]> _paths = new("--path")
    {
        Description = "With 'latest': the newest snapshot that backed up PATH (repeatable: one that backed up all of them).",
        HelpName = "PATH",
    };

    private readonly Option<string[]> _tags = new("--tag")
    {
        Description = "With 'latest': the newest snapshot carrying TAG, such as job:NAME for a hosted job's (repeatable: one that carries all of them).",
        HelpName = "TAG",
    };

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(_host);
        command.Options.Add(_paths);
        command.Options.Add(_tags);
    }

    /// <summary>Whether any of the options is given.</summary>
    public bool IsGiven(CommandContext context) =>
        context.Get(_host) is not null || (context.Get(_paths) ?? []).Length > 0 || (context.Get(_tags) ?? []).Length > 0;

    /// <summary>
    /// The snapshot <paramref name="idOrLatest"/> names; 'latest' is the newest among those the options allow that is not
    /// dated ahead of this machine's clock, and a warning names any passed over for that.
    /// </summary>
    /// <exception cref="CliUsageException">The options are given with a snapshot ID.</exception>
    /// <exception cref="SnapshotNotFoundException">No snapshot matches.</exception>
    public async Task<Snapshot> FindAsync(CommandContext context, BackupRepository repository, string idOrLatest, CancellationToken cancellationToken)
    {
        var isLatest = idOrLatest.Equals("latest", StringComparison.OrdinalIgnoreCase);
        if (!isLatest)
        {
            return IsGiven(context)
                ? throw new CliUsageException("--host, --path and --tag choose which snapshot 'latest' means; a snapshot ID names one already.")
                : await repository.Snapshots.FindAsync(idOrLatest, cancellationToken).ConfigureAwait(false);
        }

        var host = context.Get(_host);
        var paths = (context.Get(_paths) ?? []).Select(Normalize).ToList();
        var tags = context.Get(_tags) ?? [];
        var of = string.Join(" and ", new[]
        {
            host is null ? null : $"made on '{host}'",
            paths.Count == 0 ? null : $"of {string.Join(", ", paths.Select(p => $"'{p}'"))}",
            tags.Length == 0 ? null : $"tagged {string.Join(", ", tags.Select(t => $"'{t}'"))}",
        }.OfType<string>());
        return await SnapshotArgument.FindLatestAsync(
            context,
            repository,
            s => (host is null || s.Hostname == host) && paths.All(s.Paths.Contains) && tags.All(s.Tags.Contains),
            IsGiven(context) ? $"No snapshot {of} is in {repository.Location}." : $"The repository in {repository.Location} has no snapshots yet.",
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A path as backups record it: absolute, without a trailing slash.</summary>
    private static string Normalize(string path)
    {
        var full = Path.GetFullPath(path);
        return full.Length > 1 ? full.TrimEnd('/') : full;
    }
}
