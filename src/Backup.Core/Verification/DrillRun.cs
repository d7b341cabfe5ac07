using System.Security.Cryptography;
using Backup.Core.Pipeline;
using Backup.Core.Repository;
using Backup.Core.Snapshots;
using Backup.Core.Content;

namespace Backup.Core.Verification;

/// <summary>One restore drill: restores a tree into a directory, file by file, verifying each against the snapshot.</summary>
internal sealed class DrillRun(BackupRepository repository)
{
    private readonly ContentReader _reader = repository.Content;

    public long Files { get; private set; }

    public long Directories { get; private set; }

    public long Bytes { get; private set; }

    public List<DrillProblem> Problems { get; } = [];

    public async Task RestoreTreeAsync(BlobId treeId, string directory, string path, CancellationToken cancellationToken)
    {
        await TreeRecursion.EnsureStackAsync().ConfigureAwait(false);
        Tree tree;
        try
        {
            tree = await repository.Snapshots.LoadTreeAsync(treeId, cancellationToken).ConfigureAwait(false);
        }
        catch (RepositoryCorruptException ex)
        {
            Problems.Add(new DrillProblem { Path = path + "/", Message = ex.Message });
            return;
        }

        foreach (var node in tree.Nodes)
        {
            var nodePath = path + "/" + node.Name;
            // Names come from an authenticated tree, but one the restore would refuse (it could leave the scratch
            // directory, or name something else on this platform) is refused here too: the drill proves what a restore does.
            if (!NodeNames.IsSafe(node.Name))
            {
                Problems.Add(new DrillProblem { Path = nodePath, Message = NodeNames.Describe(node.Name) });
                continue;
            }

            var local = Path.Combine(directory, node.Name);
            if (node.Type == NodeType.Directory)
            {
                try
                {
                    Directory.CreateDirectory(local);
                }
                catch (IOException ex)
                {
                    Problems.Add(new DrillProblem { Path = nodePath + "/", Message = NotCreated(ex) });
                    continue;
                }

                Directories++;
                if (node.Subtree is { } subtree)
                {
                    await RestoreTreeAsync(subtree, local, nodePath, cancellationToken).ConfigureAwait(false);
                    await TreeRecursion.EnsureStackAsync().ConfigureAwait(false);
                }
            }
            else if (node.Type == NodeType.File)
            {
                await RestoreFileAsync(node, local, nodePath, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The error without the path when that is what was wrong: the problem names the path already, and one past the system's limit runs to kilobytes.</summary>
    private static string NotCreated(IOException ex) =>
        ex is PathTooLongException ? "not restored: the path is longer than this system allows" : ex.Message;

    private async Task RestoreFileAsync(TreeNode node, string local, string path, CancellationToken cancellationToken)
    {
        // Expected: the hash of the chunks as the repository returns them (each already checked against its
        // keyed ID). Actual: the hash of the file read back from disk, which catches what the write path lost.
        using var expected = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long written = 0;
        try
        {
            var stream = new FileStream(local, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
            await using (stream.ConfigureAwait(false))
            {
                await _reader.CopyToAsync(node.Content ?? [], async (chunk, ct) =>
                {
                    expected.AppendData(chunk.Span);
                    written += chunk.Length;
                    await stream.WriteAsync(chunk, ct).ConfigureAwait(false);
                }, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is RepositoryCorruptException or IOException)
        {
            Problems.Add(new DrillProblem { Path = path, Message = ex is IOException io ? NotCreated(io) : ex.Message });
            return;
        }

        var onDisk = new FileInfo(local).Length;
        if (written != node.Size || onDisk != node.Size)
        {
            Problems.Add(new DrillProblem { Path = path, Message = $"restored {onDisk} bytes ({written} from the repository), the snapshot says {node.Size}" });
            return;
        }

        byte[] actual;
        var readBack = new FileStream(local, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        await using (readBack.ConfigureAwait(false))
        {
            actual = await SHA256.HashDataAsync(readBack, cancellationToken).ConfigureAwait(false);
        }

        if (!actual.AsSpan().SequenceEqual(expected.GetHashAndReset()))
        {
            Problems.Add(new DrillProblem { Path = path, Message = "the restored file's SHA-256 differs from the snapshot's content" });
            return;
        }

        Files++;
        Bytes += written;
    }
}
