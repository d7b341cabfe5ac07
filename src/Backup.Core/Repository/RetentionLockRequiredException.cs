using Backup.Core.Storage;

namespace Backup.Core.Repository;

/// <summary>
/// The repository was created with a retention lock (<see cref="RepositoryConfig.RetentionLock"/>), and this
/// operation would change it through a target that writes a shorter lock, another mode, or none: the packs and
/// snapshots it wrote could be deleted by anyone holding the credential, which is what the lock was set up against.
/// Thrown before the write; reading the repository needs no lock. A configuration error: give the target the
/// recorded lock (the RetentionLock setting, and RetentionMode for S3) or a longer one, and run it again.
/// </summary>
public sealed class RetentionLockRequiredException : RepositoryException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="location">The repository's location (a target's description).</param>
    /// <param name="recorded">The lock the repository records.</param>
    /// <param name="given">The lock the target writes; null when it writes none.</param>
    public RetentionLockRequiredException(string location, RetentionLock recorded, RetentionLock? given)
        : this(location, recorded ?? throw new ArgumentNullException(nameof(recorded)), given, ProblemFor(location, recorded, given))
    {
    }

    private RetentionLockRequiredException(string location, RetentionLock recorded, RetentionLock? given, string problem)
        : base($"{problem} {RemedyFor(recorded)}")
    {
        Location = location;
        Recorded = recorded;
        Given = given;
        Problem = problem;
    }

    /// <summary>The repository's location (a target's description).</summary>
    public string Location { get; }

    /// <summary>The lock the repository records: what every write must keep.</summary>
    public RetentionLock Recorded { get; }

    /// <summary>The lock the target writes; null when it writes none.</summary>
    public RetentionLock? Given { get; }

    /// <summary>
    /// The message without the remedy, which names this library's settings (RetentionLock, RetentionMode): for a tool
    /// that words the remedy in its own options.
    /// </summary>
    public string Problem { get; }

    private static string ProblemFor(string location, RetentionLock recorded, RetentionLock? given)
    {
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

    private static string RemedyFor(RetentionLock recorded)
    {
        var mode = recorded.ModeSetting is { } setting ? $" and {setting}" : string.Empty;
        return $"Set RetentionLock (BACKUP_RETENTION_LOCK) to {recorded.PeriodText} or longer{mode}; commands that only read need no lock.";
    }
}
