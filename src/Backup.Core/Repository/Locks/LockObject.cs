namespace Backup.Core.Repository.Locks;

/// <summary>A stored lock (<c>locks/ID</c>): who holds it, how, and until when unless refreshed.</summary>
internal sealed record LockObject
{
    /// <summary>Whether the lock excludes every other (prune) or only exclusive ones (backup, check, restore).</summary>
    public bool Exclusive { get; init; }

    /// <summary>The host holding it.</summary>
    public string? Hostname { get; init; }

    /// <summary>The process holding it.</summary>
    public int ProcessId { get; init; }

    /// <summary>
    /// On Linux, the boot the holder ran in (<c>/proc/sys/kernel/random/boot_id</c>); null elsewhere and in locks of
    /// older versions.
    /// </summary>
    public string? BootId { get; init; }

    /// <summary>
    /// When the holding process started (Linux: clock ticks since boot; elsewhere UTC ticks), so a process that reuses
    /// its id is not taken for it; null in locks of older versions, which only expire.
    /// </summary>
    public long? ProcessStart { get; init; }

    /// <summary>When the lock was first taken; null in locks of older versions.</summary>
    public DateTimeOffset? Taken { get; init; }

    /// <summary>What the holder is doing.</summary>
    public string? Purpose { get; init; }

    /// <summary>When the lock was last refreshed.</summary>
    public DateTimeOffset Refreshed { get; init; }

    /// <summary>After this instant, unless refreshed, the lock is stale and ignored: a crashed holder blocks no one for long.</summary>
    public DateTimeOffset Expires { get; init; }
}
