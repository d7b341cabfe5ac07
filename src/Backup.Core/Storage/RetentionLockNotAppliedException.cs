namespace Backup.Core.Storage;

/// <summary>
/// A retention lock (S3 Object Lock, an Azure immutability policy) was asked for, and the storage cannot keep it: the
/// bucket or container has no locking turned on, or the server accepted a locked write and then reported no lock on
/// the object. Objects written there could be deleted by anyone with the credential, so the copy would not be
/// immutable; the operation stops instead of carrying on as if it were. Not transient: the storage must be set up
/// for retention locks (or another storage chosen) before a retry can succeed.
/// </summary>
public sealed class RetentionLockNotAppliedException : BackupTargetException
{
    /// <summary>Creates the exception; <paramref name="message"/> says what the storage reported and what to do.</summary>
    public RetentionLockNotAppliedException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
