using Backup.Core.Snapshots;

namespace Backup.Core.Replication;

/// <summary>What a copy between repositories did.</summary>
public sealed record CopyResult
{
    /// <summary>Snapshots written to the destination, with their new IDs there.</summary>
    public required IReadOnlyList<Snapshot> Copied { get; init; }

    /// <summary>Source snapshots the destination already held (copied by an earlier run).</summary>
    public required IReadOnlyList<Snapshot> Skipped { get; init; }

    /// <summary>Blobs the destination did not hold and now does.</summary>
    public required long BlobsAdded { get; init; }

    /// <summary>Bytes uploaded to the destination.</summary>
    public required long BytesStored { get; init; }

    /// <summary>How long the copy took.</summary>
    public required TimeSpan Duration { get; init; }
}
