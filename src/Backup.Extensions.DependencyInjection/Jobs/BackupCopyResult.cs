using Backup.Core.Snapshots;

namespace Backup.Extensions.DependencyInjection;

/// <summary>The copy of a run's snapshot to one secondary repository (<see cref="BackupJobOptions.CopyTo"/>).</summary>
/// <param name="Repository">The secondary repository's name.</param>
/// <param name="Succeeded">Whether the snapshot is in the secondary repository and read back intact.</param>
/// <param name="Copy">The snapshot as stored there (its ID differs from the primary's), if it was copied.</param>
/// <param name="BytesStored">Bytes uploaded to the secondary repository.</param>
/// <param name="Duration">How long the copy took.</param>
/// <param name="Error">Why it failed (messages never contain secrets); the primary snapshot is unaffected.</param>
public sealed record BackupCopyResult(string Repository, bool Succeeded, Snapshot? Copy, long BytesStored, TimeSpan Duration, Exception? Error = null);
