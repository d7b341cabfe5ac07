namespace Backup.Core.Repository;

/// <summary>
/// This process's lock lapsed (it was not refreshed in time, a refresh failed, or its lock object was removed) and what
/// it was about to store can no longer be shown to be safe: a prune may have deleted data it references. Nothing
/// was stored that references the missing data; running the operation again is safe.
/// </summary>
public sealed class RepositoryLockLapsedException : RepositoryException
{
    /// <summary>Creates the exception.</summary>
    public RepositoryLockLapsedException(string message) : base(message) { }
}
