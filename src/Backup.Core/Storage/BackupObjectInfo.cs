namespace Backup.Core.Storage;

/// <summary>What a target knows about one stored object.</summary>
public sealed record BackupObjectInfo
{
    /// <summary>The object's key.</summary>
    public required string Key { get; init; }

    /// <summary>Its size in bytes.</summary>
    public required long Length { get; init; }

    /// <summary>When it was last written, as the storage reports it.</summary>
    public required DateTimeOffset LastModified { get; init; }
}
