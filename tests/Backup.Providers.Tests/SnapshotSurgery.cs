using System.Text;
using Backup.Core;
using Backup.Core.Repository;
using Backup.Core.Repository.Blobs;
using Backup.Core.Snapshots;

namespace Backup.Providers.Tests;

/// <summary>
/// Saves altered copies of a real snapshot, as someone who can add snapshots to a repository (or change its storage
/// with the key) could: one directory's entries are removed, replaced or added, everything else stays.
/// </summary>
internal static class SnapshotSurgery
{
    /// <summary>Saves a copy of <paramref name="snapshot"/> whose directory at <paramref name="path"/> ('/'-separated) holds what <paramref name="change"/> leaves in the list.</summary>
    public static async Task<Snapshot> ChangeDirectoryAsync(BackupRepository repository, Snapshot snapshot, string path, Func<RepositoryWriter, List<TreeNode>, Task> change)
    {
        await using var writer = repository.CreateWriter(2);
        var tree = await RewriteAsync(repository, writer, snapshot.Tree, path.Split('/', StringSplitOptions.RemoveEmptyEntries), 0, change);
        await writer.CompleteAsync();
        return await repository.Snapshots.SaveAsync(snapshot with { Tree = tree, Time = DateTimeOffset.Now });
    }

    /// <summary>As <see cref="ChangeDirectoryAsync"/>, for a change that needs no new content.</summary>
    public static Task<Snapshot> ChangeDirectoryAsync(BackupRepository repository, Snapshot snapshot, string path, Action<List<TreeNode>> change) =>
        ChangeDirectoryAsync(repository, snapshot, path, (_, nodes) =>
        {
            change(nodes);
            return Task.CompletedTask;
        });

    /// <summary>The text of the file at <paramref name="path"/> ('/'-separated) in <paramref name="snapshot"/>.</summary>
    public static async Task<string> ReadFileAsync(BackupRepository repository, Snapshot snapshot, string path)
    {
        var tree = snapshot.Tree;
        TreeNode? node = null;
        foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            node = (await repository.Snapshots.LoadTreeAsync(tree)).Nodes.Single(n => n.Name == part);
            tree = node.Subtree ?? default;
        }

        using var bytes = new MemoryStream();
        await repository.Content.CopyToAsync(node!, bytes);
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    /// <summary>Saves a copy of <paramref name="snapshot"/> whose file at <paramref name="path"/> holds what <paramref name="change"/> makes of its text.</summary>
    public static async Task<Snapshot> ChangeFileAsync(BackupRepository repository, Snapshot snapshot, string path, Func<string, string> change)
    {
        var text = change(await ReadFileAsync(repository, snapshot, path));
        var slash = path.LastIndexOf('/');
        return await ChangeDirectoryAsync(repository, snapshot, slash < 0 ? string.Empty : path[..slash], (writer, nodes) => ReplaceFileAsync(writer, nodes, path[(slash + 1)..], text));
    }

    /// <summary>Replaces the file <paramref name="name"/> with <paramref name="content"/>; its entry records <paramref name="recordedSize"/> (default: the true length).</summary>
    public static async Task ReplaceFileAsync(RepositoryWriter writer, List<TreeNode> nodes, string name, string content, long? recordedSize = null)
    {
        var bytes = Encoding.UTF8.GetBytes(content);
        var index = nodes.FindIndex(n => n.Name == name);
        index.Should().BeGreaterThanOrEqualTo(0, $"the snapshot has {name} to replace");
        var id = await writer.AddBlobAsync(bytes, BlobType.Data);
        nodes[index] = nodes[index] with { Content = [id], Size = recordedSize ?? bytes.Length };
    }

    /// <summary>Removes the entry <paramref name="name"/>, which must be there.</summary>
    public static void Remove(List<TreeNode> nodes, string name) =>
        nodes.RemoveAll(n => n.Name == name).Should().Be(1, $"the snapshot has {name} to remove");

    private static async Task<BlobId> RewriteAsync(BackupRepository repository, RepositoryWriter writer, BlobId tree, string[] path, int depth, Func<RepositoryWriter, List<TreeNode>, Task> change)
    {
        var nodes = (await repository.Snapshots.LoadTreeAsync(tree)).Nodes.ToList();
        if (depth == path.Length)
        {
            await change(writer, nodes);
        }
        else
        {
            var index = nodes.FindIndex(n => n.Name == path[depth]);
            index.Should().BeGreaterThanOrEqualTo(0, $"the snapshot has {path[depth]}");
            nodes[index] = nodes[index] with { Subtree = await RewriteAsync(repository, writer, nodes[index].Subtree!.Value, path, depth + 1, change) };
        }

        return await writer.AddBlobAsync(TreeCodec.Serialize(new Tree([.. nodes.OrderBy(n => n.Name, StringComparer.Ordinal)])), BlobType.Tree);
    }
}
