using System.Text.Json;
using Backup.Core.Repository;

namespace Backup.Core.Snapshots;

/// <summary>How a <see cref="Tree"/> is stored in a tree blob: the one encoder and decoder of trees.</summary>
internal static class TreeCodec
{
    /// <summary>Serialises a tree as stored in a tree blob.</summary>
    public static byte[] Serialize(Tree tree) => JsonSerializer.SerializeToUtf8Bytes(tree, SnapshotJson.Default.Tree);

    /// <summary>Parses a tree blob's bytes.</summary>
    /// <exception cref="RepositoryCorruptException">The bytes are not a valid tree.</exception>
    public static Tree Decode(ReadOnlySpan<byte> bytes, BlobId id)
    {
        try
        {
            var tree = JsonSerializer.Deserialize(bytes, SnapshotJson.Default.Tree) ?? throw new JsonException("null tree");
            // JSON null where a list or name belongs would only fail later, far from the damaged tree.
            if (tree.Nodes is null || tree.Nodes.Any(n => n is null || n.Name is null || (n.ExtendedAttributes?.Values.Any(v => v is null) ?? false)))
            {
                throw new JsonException("a node list, a node or an extended attribute's value is missing");
            }

            return tree;
        }
        catch (JsonException ex)
        {
            throw new RepositoryCorruptException($"Tree {id.ToShortString()} is not a valid tree: {ex.Message}", ex);
        }
    }
}
