using Backup.Core.Snapshots;

namespace Backup.Extensions.DependencyInjection;

/// <summary>The copy of a run's snapshot to one secondary repository (<see cref="BackupJobOptions.CopyTo"/>).</summary>
public sealed record BackupCopyResult
{
    /// <summary>The secondary repository's name.</summary>
    public required string Repository { get; init; }

    /// <summary>Whether the snapshot is in the secondary repository and read back intact.</summary>
    public required bool Succeeded { get; init; }

    /// <summary>The snapshot as stored there (its ID differs from the primary's), if it was copied.</summary>
    public required Snapshot? Copy { get; init; }

    /// <summary>Bytes uploaded to the secondary repository.</summary>
    public required long BytesStored { get; init; }

    /// <summary>How long the copy took.</summary>
    public required TimeSpan Duration { get; init; }

    /// <summary>Why it failed (messages never contain secrets); the primary snapshot is unaffected.</summary>
    public Exception? Error { get; init; }
}
