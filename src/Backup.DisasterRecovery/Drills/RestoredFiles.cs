using System.Security.Cryptography;
using Backup.Core;
using Backup.Core.Repository;
using Backup.Core.Snapshots;

namespace Backup.DisasterRecovery;

/// <summary>
/// Verifies a file restore a drill made: every file of the snapshot (below the restored paths) must be on disk with
/// the snapshot's size and the SHA-256 of its content as the repository returns it (each chunk checked against its
/// keyed ID on the way). Proves the restored copy, not just the repository.
/// </summary>
internal static class RestoredFiles
{
    /// <summary>The outcome: files and bytes compared, and each difference ("/etc/x: missing").</summary>
    public sealed record Comparison(long Files, long Bytes, IReadOnlyList<string> Problems);

    /// <summary>Compares the restore of <paramref name="snapshot"/> in <paramref name="directory"/>, limited to <paramref name="paths"/> (all when empty).</summary>
    public static async Task<Comparison> CompareAsync(BackupRepository repository, Snapshot snapshot, string directory, IReadOnlyList<string> paths, CancellationToken cancellationToken)
    {
        // Reading content needs the index; the shared lock keeps prune away meanwhile, as a restore does.
        await using var operation = await repository.BeginOperationAsync(LockKind.Shared, "disaster-recovery drill verification", cancellationToken).ConfigureAwait(false);
        var includes = paths.Select(p => p.Split('/', StringSplitOptions.RemoveEmptyEntries)).ToList();
        var state = new State();
        await CompareTreeAsync(repository, snapshot.Tree, directory, [], includes, state, cancellationToken).ConfigureAwait(false);
        return new Comparison(state.Files, state.Bytes, state.Problems);
    }

    private sealed class State
    {
        public long Files;
        public long Bytes;
        public List<string> Problems { get; } = [];
    }

    private static async Task CompareTreeAsync(BackupRepository repository, BlobId treeId, string directory, List<string> segments, List<string[]> includes, State state, CancellationToken cancellationToken)
    {
        var tree = await repository.Snapshots.LoadTreeAsync(treeId, cancellationToken).ConfigureAwait(false);
        foreach (var node in tree.Nodes)
        {
            segments.Add(node.Name);
            try
            {
                var path = "/" + string.Join('/', segments);
                if (!Included(segments, includes) || !IsPlainName(node.Name))
                {
                    // Not restored (outside the paths, or a name the restore refuses and reports itself).
                    continue;
                }

                var local = Path.Combine(directory, node.Name);
                if (node.Type == NodeType.Directory && node.Subtree is { } subtree)
                {
                    if (!Directory.Exists(local))
                    {
                        state.Problems.Add($"{path}/: missing");
                        continue;
                    }

                    await CompareTreeAsync(repository, subtree, local, segments, includes, state, cancellationToken).ConfigureAwait(false);
                }
                else if (node.Type == NodeType.File && IsBelowInclude(segments, includes))
                {
                    await CompareFileAsync(repository, node, local, path, state, cancellationToken).ConfigureAwait(false);
                }
            }
            finally
            {
                segments.RemoveAt(segments.Count - 1);
            }
        }
    }

    private static async Task CompareFileAsync(BackupRepository repository, TreeNode node, string local, string path, State state, CancellationToken cancellationToken)
    {
        if (!File.Exists(local))
        {
            state.Problems.Add($"{path}: missing");
            return;
        }

        var onDisk = new FileInfo(local).Length;
        if (onDisk != node.Size)
        {
            state.Problems.Add($"{path}: {onDisk} bytes restored, the snapshot says {node.Size}");
            return;
        }

        using var expected = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await repository.Content.CopyToAsync(node.Content ?? [], (chunk, _) =>
        {
            expected.AppendData(chunk.Span);
            return ValueTask.CompletedTask;
        }, cancellationToken).ConfigureAwait(false);

        byte[] actual;
        var stream = new FileStream(local, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        await using (stream.ConfigureAwait(false))
        {
            actual = await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false);
        }

        if (!actual.AsSpan().SequenceEqual(expected.GetHashAndReset()))
        {
            state.Problems.Add($"{path}: content differs from the snapshot (SHA-256)");
            return;
        }

        state.Files++;
        state.Bytes += onDisk;
    }

    /// <summary>Whether a node is restored: below an include, or on the way to one (as the restore creates those directories).</summary>
    private static bool Included(List<string> segments, List<string[]> includes) =>
        includes.Count == 0 || includes.Any(include => StartsWith(segments, include) || StartsWith(include, segments));

    /// <summary>Whether a node is inside an include (its files are restored), not just on the way to one.</summary>
    private static bool IsBelowInclude(List<string> segments, List<string[]> includes) =>
        includes.Count == 0 || includes.Any(include => StartsWith(segments, include));

    /// <summary>Whether a name stays inside its directory here (the restore refuses, and reports, any other).</summary>
    private static bool IsPlainName(string name) =>
        name.Length > 0 && name is not "." and not ".." && name.IndexOfAny(['/', '\\', '\0']) < 0;

    private static bool StartsWith(IReadOnlyList<string> path, IReadOnlyList<string> prefix)
    {
        if (prefix.Count > path.Count)
        {
            return false;
        }

        for (var i = 0; i < prefix.Count; i++)
        {
            if (!string.Equals(path[i], prefix[i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }
}
