using Backup.Core.Snapshots;
using Backup.Core.Sources;

namespace Backup.Core.Pipeline;

/// <summary>The outcome of a backup: the snapshot written and anything that could not be read.</summary>
/// <param name="Snapshot">The snapshot, with its ID.</param>
/// <param name="Problems">Entries that could not be (completely) read; the snapshot is partial when there are any.</param>
public sealed record BackupResult(Snapshot Snapshot, IReadOnlyList<SourceProblem> Problems)
{
    /// <summary>Whether everything was read.</summary>
    public bool IsComplete => Problems.Count == 0;
}
