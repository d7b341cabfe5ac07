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
    public RepositoryNotFoundException(string targetDescription)
        : base($"There is no repository in {targetDescription}: check the path, or create one with 'backup init'.") { }
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
}

/// <summary>The repository is locked by another process in a way that conflicts with the operation.</summary>
public sealed class RepositoryLockedException : RepositoryException
{
    /// <summary>Creates the exception.</summary>
    public RepositoryLockedException(string message) : base(message) { }
}
