using Backup.Core.Repository;

namespace Backup.Core.Restore;

/// <summary>Which files of a restore share their content (decoded once, copied to the others), for the walk and its planner alike.</summary>
internal static class RestoreContent
{
    /// <summary>Smaller files are decoded again rather than copied from an earlier one: opening that costs as much.</summary>
    public const long MinSharedSize = 16 * 1024;

    /// <summary>How many distinct contents are remembered for copying, so memory stays bounded on any tree.</summary>
    public const int MaxSharedContents = 32 * 1024;

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
