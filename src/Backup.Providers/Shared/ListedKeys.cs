using Backup.Core.Storage;

namespace Backup.Providers;

/// <summary>
/// Checks an object store's listing pages, shared by the S3 and Azure providers. Prune deletes what listings name and
/// keeps only what they show, so a page from a hostile or broken server must not read as complete or as ours.
/// </summary>
internal static class ListedKeys
{
    /// <summary>The listed name relative to the repository's prefix.</summary>
    /// <param name="name">The full name the server listed.</param>
    /// <param name="asked">The full prefix the listing asked for (the repository's prefix and the caller's).</param>
    /// <param name="repositoryPrefixLength">How much of <paramref name="name"/> is the repository's prefix.</param>
    /// <param name="description">The target, for the message.</param>
    /// <exception cref="BackupTargetException">The server listed a name outside what was asked for.</exception>
    public static string Relative(string? name, string asked, int repositoryPrefixLength, string description) =>
        name is not null && name.StartsWith(asked, StringComparison.Ordinal)
            ? name[repositoryPrefixLength..]
            : throw new BackupTargetException($"{description} listed an object outside the prefix '{asked}' it was asked for: its listings cannot be trusted, so nothing was decided from this one. Check the server (does it honour the listing's prefix?) and whether something answers in its place.");

    /// <summary>The token of the next page, once each.</summary>
    /// <param name="token">The token the server gave with a page it said was not the last.</param>
    /// <param name="seen">The tokens of this listing so far.</param>
    /// <param name="description">The target, for the message.</param>
    /// <exception cref="BackupTargetException">The server said more was to come but gave no token, or a token it gave before (the listing would never end).</exception>
    public static string NextPage(string? token, HashSet<string> seen, string description)
    {
        if (string.IsNullOrEmpty(token))
        {
            throw new BackupTargetException($"{description} said its listing goes on but gave no token for the next page: the listing cannot be completed, so nothing was decided from it. Check the server's support for paged listings (S3 ListObjectsV2 continuation tokens).");
        }

        return seen.Add(token)
            ? token
            : throw new BackupTargetException($"{description} gave a listing page's token a second time: the listing would never end, so it was stopped. Check the server.");
    }
}
