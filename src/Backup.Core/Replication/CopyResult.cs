using Backup.Core.Snapshots;

namespace Backup.Core.Replication;

/// <summary>What a copy between repositories did.</summary>
/// <param name="Copied">Snapshots written to the destination, with their new IDs there.</param>
/// <param name="Skipped">Source snapshots the destination already held (copied by an earlier run).</param>
/// <param name="BlobsAdded">Blobs the destination did not hold and now does.</param>
/// <param name="BytesStored">Bytes uploaded to the destination.</param>
/// <param name="Duration">How long the copy took.</param>
public sealed record CopyResult(IReadOnlyList<Snapshot> Copied, IReadOnlyList<Snapshot> Skipped, long BlobsAdded, long BytesStored, TimeSpan Duration);
