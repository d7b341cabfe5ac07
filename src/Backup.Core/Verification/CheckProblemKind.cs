namespace Backup.Core.Verification;

/// <summary>What kind of problem a check found.</summary>
public enum CheckProblemKind
{
    /// <summary>The repository configuration cannot be read or parsed.</summary>
    ConfigUnreadable,

    /// <summary>A key object does not parse.</summary>
    KeyDamaged,

    /// <summary>An index object does not decode (truncated, altered, or not named by its content).</summary>
    IndexDamaged,

    /// <summary>An index names a pack that is not in data/.</summary>
    PackMissing,

    /// <summary>An index entry's range does not fit inside its pack's blob area.</summary>
    IndexEntryOutOfRange,

    /// <summary>A pack's header (or trailer) does not decode, or its content does not match its name.</summary>
    PackDamaged,

    /// <summary>A pack's header lists different blobs than the index says it holds.</summary>
    PackHeaderMismatch,

    /// <summary>A pack in data/ that no index lists (left by a writer that stopped early). A warning: its blobs are still found through its header.</summary>
    UnindexedPack,

    /// <summary>An object under data/ that is not named like a pack. A warning.</summary>
    StrayObject,

    /// <summary>A snapshot object does not decode or does not match its name.</summary>
    SnapshotDamaged,

    /// <summary>A tree a snapshot references is not in the index.</summary>
    TreeMissing,

    /// <summary>A tree blob does not decode or parse.</summary>
    TreeDamaged,

    /// <summary>A data chunk a file references is not in the index.</summary>
    BlobMissing,

    /// <summary>A stored blob does not decrypt, decompress or match its ID (found by reading data, or by reading every copy of a blob stored more than once), or an entry is too short to be a stored blob.</summary>
    BlobDamaged,
}
