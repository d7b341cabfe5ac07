using Backup.Core.Repository;

namespace Backup.Core.Snapshots;

/// <summary>One entry of a directory in a snapshot: its name, kind, metadata and content.</summary>
public sealed record TreeNode
{
    /// <summary>The entry's name (one path segment).</summary>
    public required string Name { get; init; }

    /// <summary>The kind of entry.</summary>
    public NodeType Type { get; init; }

    /// <summary>Unix permission and type bits, when the platform has them.</summary>
    public uint Mode { get; init; }

    /// <summary>Owner user ID.</summary>
    public long Uid { get; init; }

    /// <summary>Owner group ID.</summary>
    public long Gid { get; init; }

    /// <summary>Modification time, nanoseconds since the Unix epoch (UTC).</summary>
    public long MtimeNs { get; init; }

    /// <summary>Status change time, nanoseconds since the Unix epoch (UTC); 0 when unknown.</summary>
    public long CtimeNs { get; init; }

    /// <summary>The inode number; 0 when unknown.</summary>
    public ulong Inode { get; init; }

    /// <summary>The device the entry lives on; 0 when unknown.</summary>
    public ulong Device { get; init; }

    /// <summary>The number of hard links; entries with more than one and the same device and inode are restored as hard links.</summary>
    public uint Links { get; init; }

    /// <summary>Content size in bytes (files).</summary>
    public long Size { get; init; }

    /// <summary>The content's chunk IDs in order (files).</summary>
    public IReadOnlyList<BlobId>? Content { get; init; }

    /// <summary>The tree blob of a directory's children.</summary>
    public BlobId? Subtree { get; init; }

    /// <summary>A symlink's target, as stored in the link.</summary>
    public string? LinkTarget { get; init; }

    /// <summary>Device number for device nodes.</summary>
    public ulong DeviceNumber { get; init; }

    /// <summary>Whether the file was sparse (holes are recreated on restore where the file system allows).</summary>
    public bool Sparse { get; init; }

    /// <summary>Extended attributes, base64-free: name to value bytes.</summary>
    public IReadOnlyDictionary<string, byte[]>? ExtendedAttributes { get; init; }
}
