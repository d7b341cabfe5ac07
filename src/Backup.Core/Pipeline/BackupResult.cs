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

    /// <summary>Whether everything was read.</summary>
    public bool IsComplete => Problems.Count == 0;
}
