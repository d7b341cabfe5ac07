namespace Backup.Core.Snapshots;

/// <summary>
/// What a backup re-reads. Every snapshot is logically complete (it restores on its own) and physically
/// incremental (only new chunks are stored); the level decides which files are read again.
/// </summary>
public enum BackupLevel
{
    /// <summary>Re-reads and re-hashes everything.</summary>
    Full = 0,

    /// <summary>Trusts unchanged metadata (size, mtime, ctime, inode) against the latest snapshot of the same source, whatever its level.</summary>
    Incremental = 1,

    /// <summary>Trusts unchanged metadata against the latest Full snapshot of the same source.</summary>
    Differential = 2,
}
