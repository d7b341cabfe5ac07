using Backup.Core.Repository;
using Backup.Core.Snapshots;

namespace Backup.Core.Restore;

/// <summary>Which files of a restore share their content (decoded once, copied to the others), for the walk and its planner alike.</summary>
internal static class RestoreContent
{
    /// <summary>Smaller files are decoded again rather than copied from an earlier one: opening that costs as much.</summary>
    public const long MinSharedSize = 16 * 1024;

    /// <summary>How many distinct contents are remembered for copying, so memory stays bounded on any tree.</summary>
    public const int MaxSharedContents = 32 * 1024;

    /// <summary>
    /// For planning a restore's reads: whether a file is one the restore will copy rather than decode (a later hard
    /// link to one inode, or identical content), tracked as the walk sees them; nothing is copied off the native file system.
    /// </summary>
    public static Func<TreeNode, bool> CopiedLater(bool native)
    {
        var laterLink = LaterHardLinks();
        var contents = new HashSet<BlobId>();
        return node =>
        {
            if (!native)
            {
                return false;
            }

            if (laterLink(node))
            {
                return true;
            }

            if (node.Sparse || node.Size < MinSharedSize || node.Content is not { Count: > 0 } content)
            {
                return false;
            }

            var key = Key(content);
            return contents.Contains(key) || (contents.Count < MaxSharedContents && !contents.Add(key));
        };
    }

    /// <summary>Whether a file is a second or later name of an inode already seen in the walk (its content comes with the first name).</summary>
    public static Func<TreeNode, bool> LaterHardLinks()
    {
        var links = new HashSet<(ulong, ulong)>();
        return node => node.Links > 1 && node.Inode != 0 && !links.Add((node.Device, node.Inode));
    }

    /// <summary>What identifies a file's content (its chunk IDs) among files that can share it.</summary>
    public static BlobId Key(IReadOnlyList<BlobId> content)
    {
        if (content.Count == 1)
        {
            return content[0];
        }

        var ids = new byte[content.Count * BlobId.Size];
        for (var i = 0; i < content.Count; i++)
        {
            content[i].WriteTo(ids.AsSpan(i * BlobId.Size));
        }

        return BlobId.Sha256(ids);
    }
}
