namespace Backup.Core.Maintenance;

/// <summary>What prune did (or, for a dry run, would do).</summary>
public sealed record PruneResult
{
    /// <summary>Whether this was a dry run (nothing was changed).</summary>
    public bool DryRun { get; init; }

    /// <summary>Snapshots whose data was kept.</summary>
    public int Snapshots { get; init; }

    /// <summary>Pack bytes before.</summary>
    public long BytesBefore { get; init; }

    /// <summary>Pack bytes after.</summary>
    public long BytesAfter { get; init; }

    /// <summary>Bytes freed.</summary>
    public long BytesFreed => BytesBefore - BytesAfter;

    /// <summary>Packs before.</summary>
    public int PacksBefore { get; init; }

    /// <summary>Packs deleted because nothing in them was used (including torn packs of dead writers).</summary>
    public int PacksRemoved { get; init; }

    /// <summary>Partly used packs whose used blobs were copied into new packs, then deleted.</summary>
    public int PacksRewritten { get; init; }

    /// <summary>New packs written by rewriting.</summary>
    public int PacksWritten { get; init; }

    /// <summary>Blobs no snapshot uses that were removed.</summary>
    public long BlobsRemoved { get; init; }

    /// <summary>Blobs kept.</summary>
    public long BlobsKept { get; init; }

    /// <summary>Old index objects replaced by the new index.</summary>
    public int IndexesReplaced { get; init; }

    /// <summary>Packs no index lists (or torn ones) left alone because they are younger than <see cref="PruneOptions.UnindexedGracePeriod"/>.</summary>
    public int UnindexedPacksKept { get; init; }

    /// <summary>
    /// Bytes of blobs no snapshot uses that stay where they are, in packs whose unused share is below
    /// <see cref="PruneOptions.RepackThreshold"/> (rewriting such a pack would copy far more than it frees); a lower
    /// threshold frees them.
    /// </summary>
    public long UnusedBytesKept { get; init; }

    /// <summary>
    /// Old packs and index objects the storage refused to delete under a retention lock, with the date the lock ends.
    /// A locked pack stays as an unindexed pack (its own header describes it, so nothing it holds is lost and the
    /// repository stays consistent); a later prune deletes it once the lock ended. Not counted in <see cref="PacksRemoved"/>
    /// or <see cref="PacksRewritten"/>; its bytes count in <see cref="BytesAfter"/>.
    /// </summary>
    public IReadOnlyList<Storage.LockedObject> Locked { get; init; } = [];

    /// <summary>Peak managed memory of prune's own structures (blob map, pack listings, marks), in bytes.</summary>
    public long MemoryBytes { get; init; }

    /// <summary>How long prune took.</summary>
    public TimeSpan Duration { get; init; }
}
