namespace Backup.Core.Repository;

/// <summary>What a repository holds on its storage, by kind of object, as listed now.</summary>
public sealed class RepositoryStorageStatistics
{
    /// <summary>How many packs (the objects that hold the data) are stored.</summary>
    public int Packs { get; init; }

    /// <summary>The packs' bytes as stored.</summary>
    public long PackBytes { get; init; }

    /// <summary>How many index objects are stored.</summary>
    public int IndexObjects { get; init; }

    /// <summary>The index objects' bytes as stored.</summary>
    public long IndexBytes { get; init; }

    /// <summary>How many snapshot objects are stored.</summary>
    public int Snapshots { get; init; }

    /// <summary>The snapshot objects' bytes as stored.</summary>
    public long SnapshotBytes { get; init; }

    /// <summary>How many distinct blobs the index loaded at open (and refreshed since) knows.</summary>
    public int IndexedBlobs { get; init; }

    /// <summary>Every byte above together.</summary>
    public long TotalBytes => PackBytes + IndexBytes + SnapshotBytes;
}
