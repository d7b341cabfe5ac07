using Backup.Core.Snapshots;

namespace Backup.Core.Restore;

/// <summary>
/// The names a depth-first, directory-before-contents walk has written so far in each directory it is inside, so that
/// a second entry of one name in one directory is told apart from the first (as a restore's per-directory check does).
/// Only the directories on the way down are held, not every path of the snapshot.
/// </summary>
internal sealed class EntryNames(string root)
{
    private readonly Stack<(string Directory, HashSet<string> Names)> _open = new([(root, new HashSet<string>(StringComparer.Ordinal))]);

    /// <summary>Records the entry at <paramref name="path"/>; false when its directory already holds an entry of its name.</summary>
    /// <param name="path">The entry's path as the walk gives it: its directory's path, '/', its name.</param>
    /// <param name="node">The entry (a directory is opened for the entries that follow it).</param>
    public bool Add(string path, TreeNode node)
    {
        var directory = path.Length > node.Name.Length ? path[..(path.Length - node.Name.Length - 1)] : string.Empty;

        // The walk has left every directory that is not this entry's directory or above it.
        while (_open.Count > 1 && _open.Peek().Directory != directory)
        {
            _open.Pop();
        }

        if (!_open.Peek().Names.Add(node.Name))
        {
            return false;
        }

        if (node.Type == NodeType.Directory && node.Subtree is not null)
        {
            _open.Push((path, new HashSet<string>(StringComparer.Ordinal)));
        }

        return true;
    }
}
