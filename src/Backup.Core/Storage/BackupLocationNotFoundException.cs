namespace Backup.Core.Storage;

/// <summary>
/// The place a target stores its objects in does not exist: an S3 bucket, an Azure container. No object can be
/// there, so no repository either; unlike a missing object, it takes someone with rights on the storage account to
/// create it.
/// </summary>
public sealed class BackupLocationNotFoundException : BackupTargetException
{
    /// <summary>Creates the exception; <paramref name="message"/> names the missing bucket or container and says how to create it.</summary>
    public BackupLocationNotFoundException(string message, Exception? innerException = null) : base(message, innerException) { }
}
