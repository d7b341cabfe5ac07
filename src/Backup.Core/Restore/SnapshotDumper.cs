using System.Formats.Tar;
using Backup.Core.Repository;
using Backup.Core.Content;
using Backup.Core.Snapshots;

namespace Backup.Core.Restore;

/// <summary>Writes a snapshot, a subtree of it, or one file to a stream: a tar archive, or the bare file content.</summary>
public static class SnapshotDumper
{
    /// <summary>
    /// Writes <paramref name="path"/> of <paramref name="snapshot"/> (the whole snapshot when null or "/") as a PAX
    /// tar archive to <paramref name="output"/>, with snapshot paths as entry names, modes, owners, times,
    /// symlinks, hard links, FIFOs and device nodes. Entries with unsafe names are left out.
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
        var writer = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);
        await using (writer.ConfigureAwait(false))
        {
            var hardLinks = new Dictionary<(ulong, ulong), string>();
            if (start.Length > 0)
            {
                await WriteEntryAsync(writer, repository, start, node, hardLinks, cancellationToken).ConfigureAwait(false);
            }

            if (node.Type == NodeType.Directory && node.Subtree is { } subtree)
            {
                string? skipped = null;
                await foreach (var (childPath, child) in SnapshotWalker.WalkAsync(repository.Snapshots, subtree, start, cancellationToken).ConfigureAwait(false))
                {
                    if (skipped is not null && childPath.StartsWith(skipped, StringComparison.Ordinal))
                    {
                        continue;
                    }

                    if (!NodeNames.IsSafe(child.Name))
                    {
                        // Everything below an unsafe directory name is left out with it.
                        skipped = childPath + "/";
                        continue;
                    }

                    skipped = null;
                    await WriteEntryAsync(writer, repository, childPath, child, hardLinks, cancellationToken).ConfigureAwait(false);
                }
            }
        }
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

    private static async Task WriteEntryAsync(TarWriter writer, BackupRepository repository, string path, TreeNode node, Dictionary<(ulong, ulong), string> hardLinks, CancellationToken cancellationToken)
    {
        var fileType = node.Mode & 0xF000;
        TarEntryType type;
        string? linkName = null;
        switch (node.Type)
        {
            case NodeType.Directory:
                type = TarEntryType.Directory;
                break;
            case NodeType.Symlink:
                type = TarEntryType.SymbolicLink;
                linkName = node.LinkTarget ?? string.Empty;
                break;
            case NodeType.File when node.Links > 1 && node.Inode != 0 && hardLinks.TryGetValue((node.Device, node.Inode), out var first):
                type = TarEntryType.HardLink;
                linkName = first;
                break;
            case NodeType.File:
                type = TarEntryType.RegularFile;
                if (node.Links > 1 && node.Inode != 0)
                {
                    hardLinks[(node.Device, node.Inode)] = path;
                }

                break;
            case NodeType.Special when fileType == 0x1000:
                type = TarEntryType.Fifo;
                break;
            case NodeType.Special when fileType == 0x2000:
                type = TarEntryType.CharacterDevice;
                break;
            case NodeType.Special when fileType == 0x6000:
                type = TarEntryType.BlockDevice;
                break;
            default:
                // Sockets (and unknown kinds) have no tar representation.
                return;
        }

        var entry = new PaxTarEntry(type, type == TarEntryType.Directory ? path + "/" : path)
        {
            Mode = (UnixFileMode)(node.Mode & 0xFFF),
            Uid = (int)node.Uid,
            Gid = (int)node.Gid,
            ModificationTime = DateTimeOffset.UnixEpoch.AddTicks(node.MtimeNs / 100),
        };
        if (linkName is not null)
        {
            entry.LinkName = linkName;
        }

        if (type is TarEntryType.CharacterDevice or TarEntryType.BlockDevice)
        {
            var (major, minor) = SplitDevice(node.DeviceNumber);
            entry.DeviceMajor = major;
            entry.DeviceMinor = minor;
        }

        if (type == TarEntryType.RegularFile && node.Size > 0)
        {
            var content = new NodeContentStream(repository.Content, node, cancellationToken);
            await using (content.ConfigureAwait(false))
            {
                entry.DataStream = content;
                await writer.WriteEntryAsync(entry, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        await writer.WriteEntryAsync(entry, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The inverse of glibc's makedev.</summary>
    private static (int Major, int Minor) SplitDevice(ulong device) =>
        ((int)(((device >> 32) & 0xfffff000) | ((device >> 8) & 0xfff)), (int)(((device >> 12) & 0xffffff00) | (device & 0xff)));
}
