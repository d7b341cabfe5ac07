namespace Backup.Core.Storage;

/// <summary>What a target knows about one stored object.</summary>
/// <param name="Key">The object's key.</param>
/// <param name="Length">Its size in bytes.</param>
/// <param name="LastModified">When it was last written, as the storage reports it.</param>
public sealed record BackupObjectInfo(string Key, long Length, DateTimeOffset LastModified);
