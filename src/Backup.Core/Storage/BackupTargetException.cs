namespace Backup.Core.Storage;

/// <summary>A storage operation failed; the message says which object and why.</summary>
public class BackupTargetException : IOException
{
    /// <summary>Creates the exception.</summary>
    public BackupTargetException(string message, Exception? innerException = null) : base(message, innerException) { }

    /// <summary>Whether retrying the same call may succeed (network faults, throttling, server errors).</summary>
    public bool IsTransient { get; init; }
}

/// <summary>The object asked for does not exist on the target.</summary>
public sealed class BackupObjectNotFoundException : BackupTargetException
{
    /// <summary>Creates the exception for <paramref name="key"/>.</summary>
    public BackupObjectNotFoundException(string key, string targetDescription)
        : base($"Object '{key}' does not exist in {targetDescription}.") => Key = key;

    /// <summary>The missing object's key.</summary>
    public string Key { get; }
}
