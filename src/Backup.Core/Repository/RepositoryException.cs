namespace Backup.Core.Repository;

/// <summary>A repository operation failed; the message says what is wrong and what to do.</summary>
public class RepositoryException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RepositoryException(string message, Exception? innerException = null) : base(message, innerException) { }
}

/// <summary>No repository exists at the target.</summary>
public sealed class RepositoryNotFoundException : RepositoryException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="location">Where no repository was found (a target's description).</param>
    public RepositoryNotFoundException(string location)
        : base($"There is no repository in {location}: check the location, or create a repository there.") => Location = location;

    /// <summary>Creates the exception, with the reason the storage gave (a bucket or container that does not exist).</summary>
    /// <param name="location">Where no repository was found (a target's description).</param>
    /// <param name="reason">Why, as a sentence that says what to do.</param>
    public RepositoryNotFoundException(string location, string reason)
        : base($"There is no repository in {location}. {reason}") => Location = location;

    /// <summary>Creates the exception for a location that does not exist (a bucket or container), which creating a repository does not create.</summary>
    /// <param name="location">Where no repository was found (a target's description).</param>
    /// <param name="locationMissing">The storage's error, whose message says what to create.</param>
    public RepositoryNotFoundException(string location, Backup.Core.Storage.BackupLocationNotFoundException locationMissing)
        : base($"There is no repository in {location}. {(locationMissing ?? throw new ArgumentNullException(nameof(locationMissing))).Message}", locationMissing) => Location = location;

    /// <summary>Where no repository was found (a target's description).</summary>
    public string Location { get; }
}

/// <summary>A repository was to be created where one exists already.</summary>
public sealed class RepositoryAlreadyExistsException : RepositoryException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="location">Where the repository is (a target's description).</param>
    public RepositoryAlreadyExistsException(string location)
        : base($"{location} already holds a repository; open it instead of creating one.") => Location = location;

    /// <summary>Where the repository is (a target's description).</summary>
    public string Location { get; }
}

/// <summary>No snapshot matches an ID, prefix or "latest".</summary>
public sealed class SnapshotNotFoundException : RepositoryException
{
    /// <summary>Creates the exception.</summary>
    public SnapshotNotFoundException(string message, string idOrPrefix) : base(message) => IdOrPrefix = idOrPrefix;

    /// <summary>What was looked for: an ID, an ID prefix or "latest".</summary>
    public string IdOrPrefix { get; }
}

/// <summary>No key of the repository has an ID starting with the one given.</summary>
public sealed class RepositoryKeyNotFoundException : RepositoryException
{
    /// <summary>Creates the exception.</summary>
    public RepositoryKeyNotFoundException(string keyIdPrefix)
        : base($"No key ID starts with '{keyIdPrefix}'.") => KeyIdPrefix = keyIdPrefix;

    /// <summary>The key ID (or its start) that was looked for.</summary>
    public string KeyIdPrefix { get; }
}

/// <summary>The credentials open none of the repository's keys.</summary>
public sealed class WrongPasswordException : RepositoryException
{
    /// <summary>Creates the exception.</summary>
    public WrongPasswordException(string targetDescription)
        : base($"The password or key file does not open any key of the repository in {targetDescription}.") { }

    internal WrongPasswordException(string targetDescription, IReadOnlyList<RepositoryKeyInfo> skippedKeys)
        : base($"The password or key file does not open any key of the repository in {targetDescription}."
            + (skippedKeys.Count == 0 ? "" : $" {skippedKeys.Count} unusable key object(s) were skipped, and may be the ones it opened before someone altered them: "
                + string.Join("; ", skippedKeys.Select(k => $"{k.Id}: {k.Problem}")) + "."))
    {
        SkippedKeys = skippedKeys;
    }

    /// <summary>Key objects skipped as unusable (see <see cref="BackupRepository.SkippedKeys"/>); empty when none were.</summary>
    public IReadOnlyList<RepositoryKeyInfo> SkippedKeys { get; } = [];
}

/// <summary>The repository was written in a format this version cannot read.</summary>
public sealed class RepositoryFormatException : RepositoryException
{
    /// <summary>Creates the exception.</summary>
    public RepositoryFormatException(string message) : base(message) { }
}

/// <summary>Stored data is damaged, altered or missing; the message names the object.</summary>
public sealed class RepositoryCorruptException : RepositoryException
{
    /// <summary>Creates the exception.</summary>
    public RepositoryCorruptException(string message, Exception? innerException = null) : base(message, innerException) { }

    /// <summary>The stored object that is damaged or missing (its key, such as <c>index/…</c>), when one is known.</summary>
    public string? ObjectKey { get; init; }

    /// <summary>The blob that is damaged or missing, when one is known.</summary>
    public BlobId? BlobId { get; init; }

    /// <summary>What would find out more or repair it.</summary>
    public RepositoryRemedy Remedy { get; init; }
}

/// <summary>What an application (or its operator) can do about a <see cref="RepositoryCorruptException"/>.</summary>
public enum RepositoryRemedy
{
    /// <summary>Nothing specific.</summary>
    None,

    /// <summary>Check the repository (Backup.Core.Verification.VerificationService.CheckAsync) to find everything that is affected.</summary>
    Check,

    /// <summary>Rebuild the index from the packs (Backup.Core.Maintenance.MaintenanceService.RepairIndexAsync).</summary>
    RepairIndex,
}

/// <summary>The repository is locked by another process in a way that conflicts with the operation.</summary>
public sealed class RepositoryLockedException : RepositoryException
{
    /// <summary>Creates the exception.</summary>
    public RepositoryLockedException(string message) : base(message) { }

    /// <summary>The conflicting lock object's key (<c>locks/…</c>), when known.</summary>
    public string? LockKey { get; init; }

    /// <summary>Whether the conflicting lock is exclusive.</summary>
    public bool IsExclusive { get; init; }

    /// <summary>What the holder is doing (such as "prune"), when it said.</summary>
    public string? Purpose { get; init; }

    /// <summary>The holder's host name, when it said.</summary>
    public string? Hostname { get; init; }

    /// <summary>The holder's process ID.</summary>
    public int ProcessId { get; init; }

    /// <summary>When the conflicting lock expires unless its holder refreshes it.</summary>
    public DateTimeOffset Expires { get; init; }

    /// <summary>When the conflicting lock was taken; null when its holder (an older version) did not record it.</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>Whether the conflicting lock's holder runs on this host (its host name is this machine's).</summary>
    public bool IsOnThisHost { get; init; }
}

/// <summary>
/// An operation that takes a lock could not write it (the storage is read-only or refuses writes). Reading without
/// a lock (for a restore, <c>RestoreOptions.Lock = false</c>) works on such storage, at the risk that a prune deletes
/// what is being read.
/// </summary>
public sealed class RepositoryLockNotWritableException : IOException
{
    /// <summary>Creates the exception.</summary>
    public RepositoryLockNotWritableException(string message, string location, Exception innerException) : base(message, innerException) => Location = location;

    /// <summary>Where the repository is (a target's description).</summary>
    public string Location { get; }
}
