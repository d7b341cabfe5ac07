namespace Backup.Core.Restore;

/// <summary>The outcome of a restore.</summary>
public sealed record RestoreResult
{
    /// <summary>Regular files restored (hard links included), as a backup's <see cref="Snapshots.SnapshotStatistics.Files"/> counts them.</summary>
    public required long Files { get; init; }

    /// <summary>Symbolic links and special files (devices, FIFOs) restored.</summary>
    public long OtherEntries { get; init; }

    /// <summary>Directories created or reused.</summary>
    public required long Directories { get; init; }

    /// <summary>Content bytes written.</summary>
    public required long Bytes { get; init; }

    /// <summary>Entries left as they were because they exist in the target (<see cref="ExistingFileBehavior.Skip"/>, or files a restore finished with <see cref="ExistingFileBehavior.OverwriteChanged"/>).</summary>
    public long Skipped { get; init; }

    /// <summary>Files read back and found as in the snapshot (<see cref="RestoreOptions.Verify"/>); 0 without it.</summary>
    public long Verified { get; init; }

    /// <summary>Entries not restored, or restored incompletely, and why.</summary>
    public required IReadOnlyList<RestoreProblem> Problems { get; init; }

    /// <summary>How long the restore took.</summary>
    public required TimeSpan Duration { get; init; }

    /// <summary>Whether everything selected was restored.</summary>
    public bool IsComplete => Problems.Count == 0;
}
