using Backup.Core.Storage;

namespace Backup.Core.Repository;

/// <summary>
/// Stands between a repository that records a retention lock and a target that does not keep it: every put, staged
/// commit and delete is refused with <see cref="RetentionLockRequiredException"/> before it reaches the storage, so
/// a run that forgot the lock (a cron job without BACKUP_RETENTION_LOCK, a copy into the repository) writes no
/// unlocked pack or snapshot, and does not change the repository in any other way either. Lock objects are exempt:
/// a read takes a lock too, and reading needs no retention lock. Reads, listings and stats pass through.
/// </summary>
internal sealed class RetentionLockGuard : DelegatingTarget
{
    private readonly RetentionLock _recorded;
    private readonly RetentionLock? _given;
    private readonly bool _storageCanLock;

    private RetentionLockGuard(IBackupTarget inner, RetentionLock recorded) : base(inner)
    {
        _recorded = recorded;
        _given = LockWrittenBy(inner);
        _storageCanLock = CanLock(inner);
    }

    /// <summary>The lock <paramref name="target"/> writes on new packs and snapshots; null when it writes none.</summary>
    public static RetentionLock? LockWrittenBy(IBackupTarget target) => target.GetCapability<IRetentionLockingTarget>()?.RetentionLock;

    /// <summary>Whether <paramref name="target"/> can lock objects at all (a local directory or SFTP server cannot).</summary>
    private static bool CanLock(IBackupTarget target) => target.GetCapability<IRetentionLockingTarget>() is not null;

    /// <summary>
    /// <paramref name="target"/> itself when it keeps the lock <paramref name="config"/> records (or the config records
    /// none, so a repository without a lock behaves exactly as before); otherwise a guard that refuses writes.
    /// </summary>
    public static IBackupTarget Over(IBackupTarget target, RepositoryConfig config) =>
        config.RetentionLock is not { } recorded || recorded.IsKeptBy(LockWrittenBy(target))
            ? target
            : new RetentionLockGuard(target, config.RetentionLock);

    /// <summary>
    /// Throws <see cref="RetentionLockRequiredException"/> when <paramref name="config"/> records a lock that
    /// <paramref name="target"/> does not keep.
    /// </summary>
    public static void Require(IBackupTarget target, RepositoryConfig config)
    {
        if (config.RetentionLock is { } recorded && LockWrittenBy(target) is var given && !recorded.IsKeptBy(given))
        {
            throw new RetentionLockRequiredException(target.Description, recorded, given, CanLock(target));
        }
    }

    /// <inheritdoc />
    public override Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default) =>
        IsLockObject(key) ? base.PutAsync(key, content, cancellationToken) : Task.FromException(Refusal());

    /// <inheritdoc />
    public override Task DeleteAsync(string key, CancellationToken cancellationToken = default) =>
        IsLockObject(key) ? base.DeleteAsync(key, cancellationToken) : Task.FromException(Refusal());

    /// <inheritdoc />
    protected override Task CommitStagedAsync(string key, IStagedObject staged, CancellationToken cancellationToken) =>
        IsLockObject(key) ? base.CommitStagedAsync(key, staged, cancellationToken) : Task.FromException(Refusal());

    private static bool IsLockObject(string key) => key.StartsWith(RepositoryLayout.LocksPrefix, StringComparison.Ordinal);

    private RetentionLockRequiredException Refusal() => new(Description, _recorded, _given, _storageCanLock);
}
