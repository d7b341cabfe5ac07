namespace Backup.Core.Snapshots;

/// <summary>What a backup run read and stored.</summary>
public sealed record SnapshotStatistics
{
    /// <summary>Files (and streams) in the snapshot.</summary>
    public long Files { get; init; }

    /// <summary>Directories in the snapshot.</summary>
    public long Directories { get; init; }

    /// <summary>Files whose content was read in this run (the rest were unchanged and trusted).</summary>
    public long FilesRead { get; init; }

    /// <summary>Total content size of the snapshot in bytes.</summary>
    public long TotalBytes { get; init; }

    /// <summary>Bytes read from the source in this run.</summary>
    public long BytesRead { get; init; }

    /// <summary>Blobs this run added to the repository.</summary>
    public long BlobsAdded { get; init; }

    /// <summary>Plaintext bytes of the blobs this run added.</summary>
    public long BytesAdded { get; init; }

    /// <summary>Bytes this run added to storage (compressed and encrypted).</summary>
    public long BytesStored { get; init; }

    /// <summary>Entries that could not be read.</summary>
    public long Errors { get; init; }

    /// <summary>How long the run took.</summary>
    public TimeSpan Duration { get; init; }
}
