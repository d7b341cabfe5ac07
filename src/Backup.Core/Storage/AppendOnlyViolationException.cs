namespace Backup.Core.Storage;

/// <summary>
/// An <see cref="AppendOnlyTarget"/> refused a delete or an overwrite: the process runs in append-only mode and may
/// only add objects (and remove the lock objects it created itself). Not transient: retrying cannot succeed.
/// </summary>
public sealed class AppendOnlyViolationException : BackupTargetException
{
    /// <summary>Creates the exception for <paramref name="key"/>; <paramref name="action"/> says what was refused ("delete", "overwrite").</summary>
    public AppendOnlyViolationException(string key, string targetDescription, string action)
        : base($"Refused to {action} '{key}' in {targetDescription}: the repository is opened append-only, which only adds objects.")
    {
        Key = key;
    }

    /// <summary>The key that was to be deleted or overwritten.</summary>
    public string Key { get; }
}
