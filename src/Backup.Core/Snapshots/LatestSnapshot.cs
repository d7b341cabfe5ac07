using System.Globalization;
using Backup.Core.Repository;

namespace Backup.Core.Snapshots;

/// <summary>
/// What <see cref="SnapshotStore.FindLatestAsync"/> found: the newest snapshot not dated ahead of the clock, and those it
/// passed over because they are.
/// </summary>
public sealed record LatestSnapshot
{
    /// <summary>The newest matching snapshot dated no later than <see cref="Now"/> plus <see cref="SnapshotStore.ClockSkewAllowance"/>; null when none is.</summary>
    public Snapshot? Snapshot { get; init; }

    /// <summary>Matching snapshots dated later than that, oldest first: made on a host whose clock ran ahead, or added by someone who holds the password.</summary>
    public IReadOnlyList<Snapshot> DatedAhead { get; init; } = [];

    /// <summary>The keys of snapshot objects that could not be read (a check reports them).</summary>
    public IReadOnlyList<string> Damaged { get; init; } = [];

    /// <summary>How many snapshot objects could be read, matching or not.</summary>
    internal int Readable { get; init; }

    /// <summary>The clock reading the snapshots were compared with.</summary>
    public DateTimeOffset Now { get; init; }

    /// <summary>A sentence naming the snapshots passed over and what to do; null when none was.</summary>
    public string? DatedAheadWarning
    {
        get
        {
            if (DatedAhead.Count == 0)
            {
                return null;
            }

            var newest = DatedAhead[^1];
            var count = DatedAhead.Count == 1 ? "1 snapshot" : $"{DatedAhead.Count} snapshots";
            var clock = Now.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
            var dated = newest.Time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
            return $"passed over {count} dated after this machine's clock ({clock} UTC), the newest {newest.Id.ToShortString()} at {dated} UTC " +
                $"from host '{newest.Hostname}': a host's clock ran ahead, or someone who holds the password added it. " +
                "Give its ID to use it anyway; if this machine's clock is the wrong one, set it first.";
        }
    }

    /// <summary>The snapshot found, or the reason there is none: every match is dated ahead, damaged, or <paramref name="noneMessage"/>.</summary>
    /// <param name="noneMessage">What to say when no snapshot matches at all.</param>
    /// <param name="repositoryDescription">Where the repository is, for the message about damaged snapshot objects.</param>
    /// <exception cref="SnapshotNotFoundException">No snapshot is left to take as the latest.</exception>
    /// <exception cref="RepositoryCorruptException">Every snapshot object is damaged.</exception>
    public Snapshot GetOrThrow(string noneMessage, string repositoryDescription) => Snapshot ?? throw (
        DatedAhead.Count > 0 ? new SnapshotNotFoundException($"No snapshot to take as 'latest': {DatedAheadWarning}", "latest")
        : Damaged.Count > 0 && Readable == 0 ? new RepositoryCorruptException($"Every snapshot object in {repositoryDescription} is damaged or altered ({string.Join(", ", Damaged)}).") { Remedy = RepositoryRemedy.Check }
        : new SnapshotNotFoundException(noneMessage, "latest"));
}
