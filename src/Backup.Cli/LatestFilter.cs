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
        if (!IsLatest(idOrLatest))
        {
            return await FindByIdAsync(context, repository, idOrLatest, cancellationToken).ConfigureAwait(false);
        }

        var (accepts, none) = Chosen(context, repository);
        return await SnapshotArgument.FindLatestAsync(context, repository, accepts, none, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The snapshot a restore into a database of <paramref name="kind"/> means by <paramref name="idOrLatest"/>. 'latest'
    /// is the newest snapshot of that kind the options allow (a newer one of another engine, or of files, is not the
    /// one meant), and it is refused when those snapshots are of more than one database: restoring another database's
    /// snapshot under the name given, or over it with --clean, would replace the data the operator meant to bring back.
    /// A server on the backing-up host itself (localhost, a socket, an SQLite file) is that host's own: the same path
    /// from two hosts is two databases (see <see cref="DatabaseSnapshotSource"/>).
    /// Without any snapshot of that kind, 'latest' is the newest snapshot as always (the restore then names the option
    /// that fits it).
    /// </summary>
    /// <exception cref="CliUsageException">The options are given with a snapshot ID, or 'latest' is ambiguous.</exception>
    /// <exception cref="SnapshotNotFoundException">No snapshot matches.</exception>
    public async Task<Snapshot> FindDatabaseAsync(CommandContext context, BackupRepository repository, string idOrLatest, string kind, CancellationToken cancellationToken)
    {
        if (!IsLatest(idOrLatest))
        {
            return await FindByIdAsync(context, repository, idOrLatest, cancellationToken).ConfigureAwait(false);
        }

        var (accepts, none) = Chosen(context, repository);
        var newestOfEachSource = new Dictionary<string, Snapshot>(StringComparer.Ordinal);
        bool OfKind(Snapshot snapshot)
        {
            if (!accepts(snapshot) || snapshot.SourceKind != kind)
            {
                return false;
            }

            var source = DatabaseSnapshotSource.Of(snapshot);
            if (!newestOfEachSource.TryGetValue(source, out var newest) || snapshot.Time > newest.Time)
            {
                newestOfEachSource[source] = snapshot;
            }

            return true;
        }

        var found = await repository.Snapshots.FindLatestAsync(OfKind, TimeProvider.System.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (newestOfEachSource.Count == 0)
        {
            return await SnapshotArgument.FindLatestAsync(context, repository, accepts, none, cancellationToken).ConfigureAwait(false);
        }

        if (newestOfEachSource.Count > 1)
        {
            var sources = newestOfEachSource.OrderBy(s => s.Key, StringComparer.Ordinal).ToList();
            var first = sources[0].Value;
            var pick = first.Paths.Any(DatabaseSnapshotSource.IsOnTheHostItself)
                ? $"--path and --host (e.g. --path '{first.Paths[0]}' --host '{first.Hostname}')"
                : $"--path (e.g. --path '{first.Paths[0]}')";
            throw new CliUsageException(
                $"'latest' is ambiguous: the repository holds {kind} snapshots of {sources.Count} databases, " +
                $"{string.Join(", ", sources.Select(s => $"{s.Key} (newest {s.Value.Id.ToShortString()})"))}. " +
                $"Pick one with {pick} or give a snapshot ID ('backup snapshots' lists them).");
        }

        return await SnapshotArgument.ReportAsync(context, found, none, repository).ConfigureAwait(false);
    }

    private static bool IsLatest(string idOrLatest) => idOrLatest.Equals("latest", StringComparison.OrdinalIgnoreCase);

    private async Task<Snapshot> FindByIdAsync(CommandContext context, BackupRepository repository, string id, CancellationToken cancellationToken) =>
        IsGiven(context)
            ? throw new CliUsageException("--host, --path and --tag choose which snapshot 'latest' means; a snapshot ID names one already.")
            : await repository.Snapshots.FindAsync(id, cancellationToken).ConfigureAwait(false);

    /// <summary>Which snapshots the options allow, and what to say when none is in the repository.</summary>
    private (Func<Snapshot, bool> Accepts, string None) Chosen(CommandContext context, BackupRepository repository)
    {
        var host = context.Get(_host);
        var given = context.Get(_paths) ?? [];
        var tags = context.Get(_tags) ?? [];
        var of = string.Join(" and ", new[]
        {
            host is null ? null : $"made on '{host}'",
            given.Length == 0 ? null : $"of {string.Join(", ", given.Select(p => $"'{Normalize(p)}'"))}",
            tags.Length == 0 ? null : $"tagged {string.Join(", ", tags.Select(t => $"'{t}'"))}",
        }.OfType<string>());

        // A database snapshot's path is its source as recorded ('db1:5432/app'), not a file: it is matched as given too.
        bool HasPaths(Snapshot s) => given.All(p => s.Paths.Contains(p, StringComparer.Ordinal) || s.Paths.Contains(Normalize(p), StringComparer.Ordinal));
        return (
            s => (host is null || s.Hostname == host) && HasPaths(s) && tags.All(s.Tags.Contains),
            IsGiven(context) ? $"No snapshot {of} is in {repository.Location}." : $"The repository in {repository.Location} has no snapshots yet.");
    }

    /// <summary>A path as backups record it: absolute, without a trailing slash.</summary>
    private static string Normalize(string path)
    {
        var full = Path.GetFullPath(path);
        return full.Length > 1 ? full.TrimEnd('/') : full;
    }
}
