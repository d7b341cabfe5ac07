using Backup.Core.Pipeline;
using Backup.Core.Repository;
using Backup.Core.Snapshots;
using Backup.Core;

namespace Backup.Providers;

/// <summary>Finds a dump's node in a snapshot and streams it out.</summary>
internal static class SnapshotFiles
{
    /// <summary>The node at '/'-separated <paramref name="path"/> under the snapshot's root.</summary>
    public static async Task<TreeNode> FindAsync(BackupRepository repository, Snapshot snapshot, string path, CancellationToken cancellationToken)
    {
        var tree = await repository.Snapshots.LoadTreeAsync(snapshot.Tree, cancellationToken).ConfigureAwait(false);
        TreeNode? node = null;
        foreach (var segment in path.Split('/'))
        {
            if (node is not null)
            {
                tree = await repository.Snapshots.LoadTreeAsync(node.Subtree ?? throw new DatabaseRestoreException($"'{path}' is not in snapshot {snapshot.Id}."), cancellationToken).ConfigureAwait(false);
            }

            node = tree.Nodes.FirstOrDefault(n => n.Name == segment) ?? throw new DatabaseRestoreException($"'{path}' is not in snapshot {snapshot.Id}.");
        }

        return node!;
    }

    /// <summary>The children of a directory node.</summary>
    public static async Task<IReadOnlyList<TreeNode>> ChildrenAsync(BackupRepository repository, TreeNode directory, CancellationToken cancellationToken) =>
        directory.Subtree is { } subtree ? (await repository.Snapshots.LoadTreeAsync(subtree, cancellationToken).ConfigureAwait(false)).Nodes : [];

    /// <summary>The content bytes of every file below <paramref name="directory"/> (a dump directory's size).</summary>
    public static async Task<long> TotalSizeAsync(BackupRepository repository, TreeNode directory, CancellationToken cancellationToken)
    {
        // A loop, not recursion: a snapshot may nest directories deeper than a thread's stack allows.
        long bytes = 0;
        var pending = new Stack<TreeNode>([directory]);
        while (pending.TryPop(out var next))
        {
            foreach (var node in await ChildrenAsync(repository, next, cancellationToken).ConfigureAwait(false))
            {
                if (node.Type == NodeType.Directory)
                {
                    pending.Push(node);
                }
                else
                {
                    bytes += node.Size;
                }
            }
        }

        return bytes;
    }

    /// <summary>Writes a file node's content (each chunk verified) to <paramref name="path"/>, readable only by the current user.</summary>
    public static async Task WriteToPrivateFileAsync(BackupRepository repository, TreeNode node, string path, CancellationToken cancellationToken)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, Options = FileOptions.Asynchronous };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        await using var file = new FileStream(path, options);
        await repository.Content.CopyToAsync(node, file, cancellationToken).ConfigureAwait(false);
        await file.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Feeds a file node's content to a tool's standard input, then waits for the tool; a broken pipe is reported with the tool's own error.</summary>
    public static Task<ToolOutcome> FeedAsync(BackupRepository repository, TreeNode node, ToolProcess process, CancellationToken cancellationToken) =>
        FeedAsync(repository, node, process, wrapInput: null, cancellationToken);

    /// <summary>
    /// Like <see cref="FeedAsync(BackupRepository, TreeNode, ToolProcess, CancellationToken)"/>, through the filter
    /// <c>wrapInput</c> puts between the content and the tool (the filter owns the standard input it is given).
    /// </summary>
    public static async Task<ToolOutcome> FeedAsync(BackupRepository repository, TreeNode node, ToolProcess process, Func<Stream, Stream>? wrapInput, CancellationToken cancellationToken)
    {
        IOException? broken = null;
        try
        {
            await using var stdin = wrapInput is null ? process.StandardInput : wrapInput(process.StandardInput);
            await repository.Content.CopyToAsync(node, stdin, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            // The tool exited early (it hit an error); its stderr says why.
            broken = ex;
        }

        var outcome = await process.WaitAsync(cancellationToken).ConfigureAwait(false);
        return broken is null || outcome.ExitCode != 0 ? outcome : outcome with { StreamFailure = broken.Message };
    }
}
