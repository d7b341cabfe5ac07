using Backup.Core.Repository;
using Backup.Core.Content;
using Backup.Core.Snapshots;

namespace Backup.Core.Restore;

/// <summary>Writes a snapshot, a subtree of it, or one file to a stream: a tar archive, or the bare file content.</summary>
public static class SnapshotDumper
{
    /// <summary>
    /// Writes <paramref name="path"/> of <paramref name="snapshot"/> (the whole snapshot when null or "/") as a PAX
    /// tar archive to <paramref name="output"/>, with snapshot paths as entry names, modes, owners, times to the
    /// nanosecond, symlinks, hard links, FIFOs and device nodes. Sparse files are written as GNU sparse 1.0 entries
    /// (their all-zero 4 KiB file blocks left out, as a restore leaves them unwritten), which GNU tar and bsdtar extract with
    /// their holes. Entries with unsafe names are left out, and so is a later entry of a name already written in its
    /// directory (a restore refuses it too), each with everything below it.
    /// </summary>
    /// <exception cref="FileNotFoundException">The snapshot has no such path.</exception>
    /// <exception cref="RepositoryCorruptException">A tree or chunk is missing or damaged.</exception>
    public static async Task WriteTarAsync(BackupRepository repository, Snapshot snapshot, string? path, Stream output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(output);
        var start = (path ?? string.Empty).Trim('/');
        var node = await SnapshotWalker.FindAsync(repository.Snapshots, snapshot, start, cancellationToken).ConfigureAwait(false)
            ?? throw new FileNotFoundException($"Snapshot {snapshot.Id.ToShortString()} has no path '{path}'.");
        var writer = new PaxArchiveWriter(output);
        var hardLinks = new Dictionary<(ulong, ulong), string>();

        // From a remote store, read each pack's needed blobs with one ranged request instead of one per file, as a
        // restore does; later links to a hard-linked file are written as links and need no content.
        await using var batches = repository.Blobs.ReadsAreRemote ? new PackBatchReader(repository.Blobs) : null;
        var reader = repository.Content;
        if (batches is not null)
        {
            IReadOnlyList<TreeNode> roots = node.Type == NodeType.Directory && node.Subtree is { } top
                ? (await repository.Snapshots.LoadTreeAsync(top, cancellationToken).ConfigureAwait(false)).Nodes
                : [node];
            await ContentPlanner.PlanAsync(repository.Blobs, batches, roots, [], RestoreContent.LaterHardLinks(), cancellationToken).ConfigureAwait(false);
            reader = new ContentReader(repository.Blobs, batches: batches);
        }

        if (start.Length > 0)
        {
            await WriteEntryAsync(writer, reader, start, node, hardLinks, cancellationToken).ConfigureAwait(false);
        }

        if (node.Type == NodeType.Directory && node.Subtree is { } subtree)
        {
            string? skipped = null;
            var written = new EntryNames(start);
            await foreach (var (childPath, child) in SnapshotWalker.WalkAsync(repository.Snapshots, subtree, start, cancellationToken).ConfigureAwait(false))
            {
                if (skipped is not null && childPath.StartsWith(skipped, StringComparison.Ordinal))
                {
                    continue;
                }

                // Everything below an unsafe directory name is left out with it, and so is a second entry of a name
                // (a crafted tree may list a symlink and then a directory of that name): an extractor that follows the
                // links it made itself would write what is below the second through the first, outside its target.
                if (!NodeNames.IsSafe(child.Name) || !written.Add(childPath, child))
                {
                    skipped = childPath + "/";
                    continue;
                }

                skipped = null;
                await WriteEntryAsync(writer, reader, childPath, child, hardLinks, cancellationToken).ConfigureAwait(false);
            }
        }

        await writer.FinishAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes the content of the file at <paramref name="path"/> of <paramref name="snapshot"/> to <paramref name="output"/>, each chunk verified.</summary>
    /// <exception cref="FileNotFoundException">The snapshot has no file at that path.</exception>
    /// <exception cref="RepositoryCorruptException">A chunk is missing or damaged.</exception>
    public static async Task WriteFileAsync(BackupRepository repository, Snapshot snapshot, string path, Stream output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(output);
        var node = await SnapshotWalker.FindAsync(repository.Snapshots, snapshot, path, cancellationToken).ConfigureAwait(false);
        if (node is not { Type: NodeType.File })
        {
            throw new FileNotFoundException($"Snapshot {snapshot.Id.ToShortString()} has no file '{path}'.");
        }

        await new ContentReader(repository.Blobs).CopyToAsync(node, output, cancellationToken).ConfigureAwait(false);
    }

    private static async Task WriteEntryAsync(PaxArchiveWriter writer, ContentReader reader, string path, TreeNode node, Dictionary<(ulong, ulong), string> hardLinks, CancellationToken cancellationToken)
    {
        var fileType = node.Mode & 0xF000;
        char type;
        string? linkName = null;
        switch (node.Type)
        {
            case NodeType.Directory:
                type = '5';
                break;
            case NodeType.Symlink:
                type = '2';
                linkName = node.LinkTarget ?? string.Empty;
                break;
            case NodeType.File when node.Links > 1 && node.Inode != 0 && hardLinks.TryGetValue((node.Device, node.Inode), out var first):
                type = '1';
                linkName = first;
                break;
            case NodeType.File:
                type = '0';
                if (node.Links > 1 && node.Inode != 0)
                {
                    hardLinks[(node.Device, node.Inode)] = path;
                }

                break;
            case NodeType.Special when fileType == 0x1000:
                type = '6';
                break;
            case NodeType.Special when fileType == 0x2000:
                type = '3';
                break;
            case NodeType.Special when fileType == 0x6000:
                type = '4';
                break;
            default:
                // Sockets (and unknown kinds) have no tar representation.
                return;
        }

        var (major, minor) = type is '3' or '4' ? SplitDevice(node.DeviceNumber) : (0, 0);
        var entry = new PaxEntry
        {
            Name = type == '5' ? path + "/" : path,
            Type = type,
            Mode = node.Mode & 0xFFF,
            Uid = node.Uid,
            Gid = node.Gid,
            MtimeNs = node.MtimeNs,
            CtimeNs = node.CtimeNs,
            LinkName = linkName,
            DeviceMajor = major,
            DeviceMinor = minor,
        };
        if (type != '0' || node.Size == 0)
        {
            await writer.WriteHeaderAsync(entry, cancellationToken).ConfigureAwait(false);
            return;
        }

        var content = node.Content ?? [];
        if (node.Sparse && await SparseMap.FindAsync(reader, content, cancellationToken).ConfigureAwait(false) is { } map)
        {
            await WriteSparseAsync(writer, reader, path, node, entry, map, cancellationToken).ConfigureAwait(false);
            return;
        }

        await writer.WriteHeaderAsync(entry with { Size = node.Size }, cancellationToken).ConfigureAwait(false);
        long written = 0;
        await reader.CopyToAsync(content, (chunk, ct) =>
        {
            written += chunk.Length;
            return written > node.Size ? ValueTask.FromException(ContentSizeMismatch(path, node)) : writer.WriteDataAsync(chunk, ct);
        }, cancellationToken).ConfigureAwait(false);
        if (written != node.Size)
        {
            // A tar entry's size is written before its data: content of another length would corrupt the archive.
            throw ContentSizeMismatch(path, node);
        }

        await writer.PadAsync(written, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A GNU sparse 1.0 entry (the format GNU tar writes with --sparse --format=pax): the real name and size in
    /// GNU.sparse.* records, the name "dir/GNUSparseFile.0/name" in the header (what a tar that knows no sparse files
    /// extracts: the map and the data, never a wrong file under the real name), then the map as decimal lines padded
    /// to a block, then the data regions back to back.
    /// </summary>
    private static async Task WriteSparseAsync(PaxArchiveWriter writer, ContentReader reader, string path, TreeNode node, PaxEntry entry, SparseMap map, CancellationToken cancellationToken)
    {
        if (map.Size != node.Size)
        {
            throw ContentSizeMismatch(path, node);
        }

        var slash = path.LastIndexOf('/');
        var sparseName = slash < 0 ? "GNUSparseFile.0/" + path : $"{path[..slash]}/GNUSparseFile.0/{path[(slash + 1)..]}";
        var mapText = map.Encode();
        var mapLength = (mapText.Length + PaxArchiveWriter.BlockSize - 1) / PaxArchiveWriter.BlockSize * PaxArchiveWriter.BlockSize;
        await writer.WriteHeaderAsync(entry with
        {
            Name = sparseName,
            Size = mapLength + map.DataBytes,
            Attributes =
            [
                new("GNU.sparse.major", "1"),
                new("GNU.sparse.minor", "0"),
                new("GNU.sparse.name", path),
                new("GNU.sparse.realsize", node.Size.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ],
        }, cancellationToken).ConfigureAwait(false);
        await writer.WriteDataAsync(mapText, cancellationToken).ConfigureAwait(false);
        await writer.PadAsync(mapText.Length, cancellationToken).ConfigureAwait(false);

        long written = 0;
        var next = 0;
        await reader.CopyToAsync(map.DataChunks, async (chunk, ct) =>
        {
            foreach (var (start, length) in map.DataRuns[next++])
            {
                written += length;
                if (written > map.DataBytes || start + length > chunk.Length)
                {
                    throw ContentSizeMismatch(path, node);
                }

                await writer.WriteDataAsync(chunk.Slice(start, length), ct).ConfigureAwait(false);
            }
        }, cancellationToken).ConfigureAwait(false);
        if (written != map.DataBytes)
        {
            throw ContentSizeMismatch(path, node);
        }

        await writer.PadAsync(written, cancellationToken).ConfigureAwait(false);
    }

    private static RepositoryCorruptException ContentSizeMismatch(string path, TreeNode node) =>
        new($"The stored content of '{path}' does not add up to the {node.Size} bytes its snapshot records.");

    /// <summary>The inverse of glibc's makedev.</summary>
    private static (int Major, int Minor) SplitDevice(ulong device) =>
        ((int)(((device >> 32) & 0xfffff000) | ((device >> 8) & 0xfff)), (int)(((device >> 12) & 0xffffff00) | (device & 0xff)));
}
