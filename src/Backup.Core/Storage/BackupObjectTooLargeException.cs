namespace Backup.Core.Storage;

/// <summary>An object holds more bytes than its kind ever does: the storage is damaged or hostile, so it was not read.</summary>
public sealed class BackupObjectTooLargeException : BackupTargetException
{
    /// <summary>Creates the exception for <paramref name="key"/>, of which the storage reported, or a read returned, <paramref name="length"/> bytes.</summary>
    public BackupObjectTooLargeException(string key, string targetDescription, long length, long maxLength)
        : base($"Object '{key}' in {targetDescription} is larger than the {maxLength:N0} bytes an object of its kind can hold ({length:N0} bytes reported or read), so it was not read. " +
            "The storage is damaged or was altered: remove or replace that object.")
    {
        Key = key;
        Length = length;
        MaxLength = maxLength;
    }

    /// <summary>The object's key.</summary>
    public string Key { get; }

    /// <summary>The size the storage reported, or the bytes read before the read was stopped.</summary>
    public long Length { get; }

    /// <summary>The most an object of its kind may hold.</summary>
    public long MaxLength { get; }

    /// <summary>Throws when <paramref name="length"/> is over <paramref name="maxLength"/>.</summary>
    internal static void ThrowIfOver(string key, string targetDescription, long length, long maxLength)
    {
        if (length > maxLength)
        {
            throw new BackupObjectTooLargeException(key, targetDescription, length, maxLength);
        }
    }

    /// <summary>Refuses a limit no array can hold.</summary>
    internal static void ValidateLimit(long maxLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxLength, Array.MaxLength);
    }
}
