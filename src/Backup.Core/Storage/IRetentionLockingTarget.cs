namespace Backup.Core.Storage;

/// <summary>
/// A target that writes objects under a retention lock and can confirm, before anything is written, that the storage
/// will keep it (an S3 bucket with Object Lock enabled, an Azure container with version-level immutability). Ask for
/// it with <see cref="IBackupTarget.GetCapability{T}"/>; <see cref="BackupRepository.InitAsync"/> does, so a repository
/// is never created as "locked" on storage that ignores the lock, and records <see cref="RetentionLock"/> in the
/// repository's config, so that later writes without it are refused (<see cref="Repository.RetentionLockRequiredException"/>).
/// Such a target also reads back the lock of the first locked object each instance writes and throws
/// <see cref="RetentionLockNotAppliedException"/> when the storage did not keep it, which covers a repository created
/// before this check and a server that misreports its setup.
/// </summary>
public interface IRetentionLockingTarget : IBackupTarget
{
    /// <summary>The lock this target writes on new packs and snapshots; null when it writes none.</summary>
    RetentionLock? RetentionLock { get; }

    /// <summary>
    /// Confirms with one request that the storage keeps the retention lock this target writes; does nothing when the
    /// target writes no lock.
    /// </summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <exception cref="RetentionLockNotAppliedException">The storage would accept locked writes but keep no lock.</exception>
    /// <exception cref="BackupTargetException">The storage could not be asked (network, permissions, missing bucket).</exception>
    Task ConfirmRetentionLockAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Extends the retention lock of one stored object (the current version) to <paramref name="retainUntil"/>, in the
    /// mode this target writes (<see cref="RetentionLock"/>), whether or not the object was locked before: so that an
    /// object written long ago that the repository still needs stays protected. Never shortens a lock: an object
    /// already locked longer is left as it is and reported so (<see cref="RetentionExtension.Extended"/> false).
    /// </summary>
    /// <param name="key">The object's key.</param>
    /// <param name="retainUntil">The date the lock must run until at least.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>Whether the lock was extended, and the date it runs until now.</returns>
    /// <exception cref="InvalidOperationException">The target writes no lock (<see cref="RetentionLock"/> is null).</exception>
    /// <exception cref="BackupObjectNotFoundException">The object does not exist.</exception>
    /// <exception cref="BackupTargetException">The storage refused or could not be asked (network, permissions).</exception>
    Task<RetentionExtension> ExtendRetentionAsync(string key, DateTimeOffset retainUntil, CancellationToken cancellationToken = default);
}
