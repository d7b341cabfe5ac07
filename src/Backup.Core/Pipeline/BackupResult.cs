using Backup.Core.Snapshots;
using Backup.Core.Sources;

namespace Backup.Core.Pipeline;

/// <summary>The outcome of a backup: the snapshot written and anything that could not be read.</summary>
public sealed record BackupResult
{
    /// <summary>The snapshot, with its ID.</summary>
    public required Snapshot Snapshot { get; init; }

    /// <summary>Entries that could not be (completely) read; the snapshot is partial when there are any.</summary>
    public required IReadOnlyList<SourceProblem> Problems { get; init; }

    /// <summary>
    /// How many packs the repository's index names that storage did not hold when this backup ran (lost or deleted
    /// by something other than prune). This snapshot is complete, because the backup stored again whatever it needed
    /// from them, but older snapshots that use them cannot be restored in full: run a check, then repair the index.
    /// </summary>
    public int MissingPacks { get; init; }

    /// <summary>Whether everything was read.</summary>
    public bool IsComplete => Problems.Count == 0;
}
