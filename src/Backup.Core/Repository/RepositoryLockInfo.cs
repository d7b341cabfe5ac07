namespace Backup.Core.Repository;

/// <summary>A lock on a repository as its holder recorded it: see <see cref="BackupRepository.RemoveStaleLocksAsync"/>.</summary>
public sealed class RepositoryLockInfo
{
    /// <summary>The lock object's key (<c>locks/…</c>).</summary>
    public required string Key { get; init; }

    /// <summary>Whether the lock excludes every other lock (prune, repair) or only exclusive ones.</summary>
    public bool IsExclusive { get; init; }

    /// <summary>What the holder is doing (such as "prune"), when it said.</summary>
    public string? Purpose { get; init; }

    /// <summary>The holder's host name, when it said.</summary>
    public string? Hostname { get; init; }

    /// <summary>The holder's process ID.</summary>
    public int ProcessId { get; init; }

    /// <summary>When the lock was taken; null for locks written by versions that did not record it.</summary>
    public DateTimeOffset? Taken { get; init; }

    /// <summary>When the lock expires unless its holder refreshes it.</summary>
    public DateTimeOffset Expires { get; init; }

    /// <summary>
    /// Why the lock no longer protects anything (it expired, or its process on this host is gone), or null while it
    /// is live.
    /// </summary>
    public string? StaleReason { get; init; }
}
