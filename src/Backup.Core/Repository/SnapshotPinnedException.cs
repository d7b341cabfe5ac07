namespace Backup.Core.Repository;

/// <summary>
/// Snapshots named to be forgotten are pinned: a pin is the promise that forget keeps a snapshot, by policy or by ID,
/// so the pin has to be taken off first, on purpose.
/// </summary>
public sealed class SnapshotPinnedException : RepositoryException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="snapshotIds">The pinned snapshots.</param>
    public SnapshotPinnedException(IReadOnlyList<BlobId> snapshotIds)
        : base(
            $"Snapshot{(snapshotIds.Count == 1 ? "" : "s")} {string.Join(", ", snapshotIds.Select(id => id.ToShortString()))} " +
            $"{(snapshotIds.Count == 1 ? "is" : "are")} pinned, and forget never removes a pinned snapshot; nothing was deleted. " +
            (snapshotIds.Count == 1
                ? "Unpin it first (it then gets a new ID) and forget the new ID, or leave it out."
                : "Unpin them first (each then gets a new ID) and forget the new IDs, or leave them out.")) =>
        SnapshotIds = snapshotIds;

    /// <summary>The pinned snapshots.</summary>
    public IReadOnlyList<BlobId> SnapshotIds { get; }
}
