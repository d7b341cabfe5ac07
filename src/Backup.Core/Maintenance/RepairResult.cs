namespace Backup.Core.Maintenance;

/// <summary>What a repair did (or, for a dry run, would do).</summary>
public sealed record RepairResult
{
    /// <summary>Whether this was a dry run.</summary>
    public bool DryRun { get; init; }

    /// <summary>Whether nothing needed repairing (a second run finds nothing).</summary>
    public bool NothingToDo { get; init; }

    /// <summary>Packs whose headers went into the new index.</summary>
    public int PacksIndexed { get; init; }

    /// <summary>Damaged packs removed (after their intact blobs were salvaged where an old index located them).</summary>
    public int PacksRemoved { get; init; }

    /// <summary>Blobs copied out of damaged packs into new ones.</summary>
    public long BlobsSalvaged { get; init; }

    /// <summary>Blobs in damaged packs that could not be salvaged (where known).</summary>
    public long BlobsLost { get; init; }

    /// <summary>Old index objects replaced.</summary>
    public int IndexesReplaced { get; init; }

    /// <summary>Snapshots rewritten without their unrecoverable files.</summary>
    public int SnapshotsRewritten { get; init; }

    /// <summary>Snapshot objects removed because they could not be decoded at all.</summary>
    public int SnapshotsRemoved { get; init; }

    /// <summary>What was dropped or removed, for people: "snapshot 1a2b3c4d: /dir/file: 2 of 5 chunks missing".</summary>
    public IReadOnlyList<string> Dropped { get; init; } = [];

    /// <summary>
    /// Objects the storage refused to delete under a retention lock (old snapshots beside their stored replacement,
    /// damaged packs or old index objects): they stay until the lock ends; repair never writes over them.
    /// </summary>
    public IReadOnlyList<Storage.LockedObject> Locked { get; init; } = [];

    /// <summary>How long the repair took.</summary>
    public TimeSpan Duration { get; init; }
}
