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

    /// <summary>What the holder is doing.</summary>
    public string? Purpose { get; init; }

    /// <summary>When the lock was last refreshed.</summary>
    public DateTimeOffset Refreshed { get; init; }

    /// <summary>After this instant, unless refreshed, the lock is stale and ignored: a crashed holder blocks no one for long.</summary>
    public DateTimeOffset Expires { get; init; }
}
