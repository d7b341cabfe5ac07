namespace Backup.Core.Storage;

/// <summary>
/// A delete (or overwrite) was refused because the object is under a retention lock (S3 Object Lock, an Azure
/// immutability policy or a server-side append-only rule). Callers such as prune skip the object and report why.
/// </summary>
public sealed class BackupObjectLockedException : BackupTargetException
{
    /// <summary>Creates the exception for <paramref name="key"/>, locked until <paramref name="retainUntil"/> when known.</summary>
    public BackupObjectLockedException(string key, string targetDescription, DateTimeOffset? retainUntil, Exception? innerException = null)
        : base(retainUntil is { } until
            ? $"Object '{key}' in {targetDescription} is locked until {until.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC and cannot be deleted before then."
            : $"Object '{key}' in {targetDescription} is locked (retention or immutability policy) and cannot be deleted.", innerException)
    {
        Key = key;
        RetainUntil = retainUntil;
    }

    /// <summary>The locked object's key.</summary>
    public string Key { get; }

    /// <summary>When the retention ends, if the storage said; <see langword="null"/> for a legal hold or an unknown date.</summary>
    public DateTimeOffset? RetainUntil { get; }
}
