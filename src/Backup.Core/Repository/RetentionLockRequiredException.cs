using Backup.Core.Storage;

namespace Backup.Core.Repository;

/// <summary>
/// The repository was created with a retention lock (<see cref="RepositoryConfig.RetentionLock"/>), and this
/// operation would change it through a target that writes a shorter lock, another mode, or none: the packs and
/// snapshots it wrote could be deleted by anyone holding the credential, which is what the lock was set up against.
/// Thrown before the write; reading the repository needs no lock. A configuration error: give the target the
/// recorded lock (the RetentionLock setting, and RetentionMode for S3) or a longer one, and run it again. When the
/// storage cannot lock objects at all (<see cref="StorageCanLock"/> false: a local directory or an SFTP server holding
/// a copy of the repository), no setting helps: write to the storage the repository was created on, or to a new
/// repository.
/// </summary>
public sealed class RetentionLockRequiredException : RepositoryException
{
    /// <summary>Creates the exception for a target that can lock objects but does not write the recorded lock.</summary>
    /// <param name="location">The repository's location (a target's description).</param>
    /// <param name="recorded">The lock the repository records.</param>
    /// <param name="given">The lock the target writes; null when it writes none.</param>
    public RetentionLockRequiredException(string location, RetentionLock recorded, RetentionLock? given)
        : this(location, recorded, given, storageCanLock: true)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="location">The repository's location (a target's description).</param>
    /// <param name="recorded">The lock the repository records.</param>
    /// <param name="given">The lock the target writes; null when it writes none.</param>
    /// <param name="storageCanLock">
    /// Whether the target can lock objects at all (S3 Object Lock, Azure immutability); false for storage that cannot
    /// (<see cref="IRetentionLockingTarget"/> missing), where no setting makes the write keep the lock.
    /// </param>
    public RetentionLockRequiredException(string location, RetentionLock recorded, RetentionLock? given, bool storageCanLock)
        : this(location, recorded ?? throw new ArgumentNullException(nameof(recorded)), given, storageCanLock, ProblemFor(location, recorded, given, storageCanLock))
    {
    }

    private RetentionLockRequiredException(string location, RetentionLock recorded, RetentionLock? given, bool storageCanLock, string problem)
        : base($"{problem} {RemedyFor(recorded, storageCanLock)}")
    {
        Location = location;
        Recorded = recorded;
        Given = given;
        StorageCanLock = storageCanLock;
        Problem = problem;
    }

    /// <summary>The repository's location (a target's description).</summary>
    public string Location { get; }

    /// <summary>The lock the repository records: what every write must keep.</summary>
    public RetentionLock Recorded { get; }

    /// <summary>The lock the target writes; null when it writes none.</summary>
    public RetentionLock? Given { get; }

    /// <summary>
    /// Whether the storage can lock objects at all. False for a local directory or an SFTP server, such as a copy of a
    /// locked bucket made with rclone: it can be read and restored from, but written only on the storage the
    /// repository was created on, or after copying its snapshots into a new repository.
    /// </summary>
    public bool StorageCanLock { get; }

    /// <summary>
    /// The message without the remedy, which names this library's settings (RetentionLock, RetentionMode): for a tool
    /// that words the remedy in its own options.
    /// </summary>
    public string Problem { get; }

    /// <summary>The storage a repository recording <paramref name="recorded"/> was created on, as an operator knows it.</summary>
    // Only an Azure target writes no mode or "locked"; S3 Object Lock always has a mode.
    private static string LockingStorageFor(RetentionLock recorded) =>
        recorded.Mode is null or RetentionLock.AzureLockedMode ? "an Azure container with immutability policies" : "an S3 bucket with Object Lock";

    private static string ProblemFor(string location, RetentionLock recorded, RetentionLock? given, bool storageCanLock)
    {
        if (!storageCanLock)
        {
            return $"The repository in {location} was created with a retention lock of {recorded}, on {LockingStorageFor(recorded)}; this storage cannot keep that lock: " +
                "it cannot lock objects against deletion (a local directory or an SFTP server, such as a copy of the repository's bucket), so nothing was written.";
        }

        var writes = given switch
        {
            null => "this run writes no lock",
            _ when given.Period < recorded.Period => $"this run locks them for only {given.PeriodText}",
            // Only an Azure target writes no mode: its policies are unlocked, so an administrator could shorten them.
            _ => given.Mode is null ? "this run writes unlocked immutability policies" : $"this run uses {given.Mode} mode",
        };
        return $"The repository in {location} was created with a retention lock of {recorded}: every write to it must lock new packs and snapshots at least " +
            $"{recorded.PeriodText}{(recorded.Mode is null ? string.Empty : $" in {recorded.Mode} mode")}, and {writes}, so nothing was written.";
    }

    private static string RemedyFor(RetentionLock recorded, bool storageCanLock)
    {
        var mode = recorded.ModeSetting is { } setting ? $" and {setting}" : string.Empty;
        return storageCanLock
            ? $"Set RetentionLock (BACKUP_RETENTION_LOCK) to {recorded.PeriodText} or longer{mode}; commands that only read need no lock."
            : $"Reading and restoring it need no lock. To write, use the repository on the storage it was created on with RetentionLock (BACKUP_RETENTION_LOCK) set to " +
              $"{recorded.PeriodText} or longer{mode}, or create a new repository and copy its snapshots into it.";
    }
}
