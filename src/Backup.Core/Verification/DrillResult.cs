using Backup.Core.Repository;

namespace Backup.Core.Verification;

/// <summary>The outcome of a restore drill: what was restored, how fast, and what did not restore exactly.</summary>
public sealed record DrillResult
{
    /// <summary>The snapshot restored.</summary>
    public BlobId SnapshotId { get; init; }

    /// <summary>When that snapshot was taken.</summary>
    public DateTimeOffset SnapshotTime { get; init; }

    /// <summary>Files restored and verified.</summary>
    public long Files { get; init; }

    /// <summary>Directories created.</summary>
    public long Directories { get; init; }

    /// <summary>Content bytes restored.</summary>
    public long Bytes { get; init; }

    /// <summary>How long the restore and its verification took: the recovery time achieved.</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>Restore throughput in content bytes per second.</summary>
    public double BytesPerSecond => Duration > TimeSpan.Zero ? Bytes / Duration.TotalSeconds : 0;

    /// <summary>Files that did not restore exactly.</summary>
    public IReadOnlyList<DrillProblem> Problems { get; init; } = [];

    /// <summary>Whether every file restored exactly.</summary>
    public bool IsSuccess => Problems.Count == 0;
}
