namespace Backup.Core.Repository;

/// <summary>What a blob in a pack holds.</summary>
internal enum BlobType : byte
{
    /// <summary>A chunk of file or stream content.</summary>
    Data = 0,

    /// <summary>A directory listing (a tree).</summary>
    Tree = 1,
}
