namespace Backup.Core.Repository;

/// <summary>How this process's locks on a repository behave: see <see cref="BackupRepository.Locking"/>.</summary>
public sealed class RepositoryLockOptions
{
    private static readonly TimeSpan MinimumTimeToLive = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaximumTimeToLive = TimeSpan.FromDays(1);
    private TimeSpan _timeToLive = DefaultTimeToLive;

    /// <summary>How long a lock lives unless refreshed, unless <see cref="TimeToLive"/> is set.</summary>
    public static TimeSpan DefaultTimeToLive { get; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// How long a lock taken from now on lives unless refreshed (it is refreshed every third of that). Other
    /// processes treat a lock older than this as left by a crashed holder, so a shorter lifetime frees the repository
    /// sooner after a crash but lapses after a shorter pause (a suspended laptop, a stopped process). Between 1 second
    /// and 1 day; <see cref="DefaultTimeToLive"/> unless set.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside that range.</exception>
    public TimeSpan TimeToLive
    {
        get => _timeToLive;
        set
        {
            if (value < MinimumTimeToLive || value > MaximumTimeToLive)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, $"A lock lifetime must be between {MinimumTimeToLive.TotalSeconds:0} second and {MaximumTimeToLive.TotalHours:0} hours (was {value}).");
            }

            _timeToLive = value;
        }
    }

    /// <summary>
    /// Called with a message for each lock object that does not authenticate under the repository's key (stored by a
    /// version that wrote locks as plain JSON, or forged by someone with access to the storage). Such a lock is
    /// ignored: it blocks nothing and protects nothing. Nothing is reported when this is null.
    /// </summary>
    public Action<string>? UnauthenticatedLockFound { get; set; }

    /// <summary>
    /// Called with a message for each stale lock (expired, or held by a process on this host that no longer runs) that
    /// taking a lock found and ignored; a lock of a process that is gone is also removed when the storage allows it.
    /// Nothing is reported when this is null.
    /// </summary>
    public Action<string>? StaleLockFound { get; set; }

    /// <summary>
    /// Called with a message when this process could not remove its own lock at the end of an operation (the storage
    /// went away, often the very fault that ended the operation). That failure is not thrown, so an operation's own
    /// error is the one its caller sees; the lock left behind holds off exclusive operations until it is stale (at
    /// once for a process on this host that is gone, otherwise when it expires). Nothing is reported when this is null.
    /// </summary>
    public Action<string>? LockNotRemoved { get; set; }
}
