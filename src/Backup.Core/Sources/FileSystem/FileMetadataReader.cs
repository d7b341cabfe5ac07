using System.IO.Abstractions;
using Backup.Core.Native;
using Backup.Core.Snapshots;

namespace Backup.Core.Sources.FileSystem;

/// <summary>
/// Reads one path's metadata into a <see cref="TreeNode"/>: through statx on Linux for the real file system
/// (owner, inode, device, link count, ns times, allocated blocks), otherwise from what <see cref="IFileSystem"/> offers.
/// </summary>
internal sealed class FileMetadataReader(IFileSystem fileSystem, bool native)
{
    private const int ENOENT = 2;
    private const int ENOTDIR = 20;

    /// <summary>Whether metadata comes from statx, so device and inode identify a file.</summary>
    public bool IsNative => native;

    /// <summary>Reads the metadata of <paramref name="absolutePath"/>.</summary>
    /// <param name="absolutePath">The path to read.</param>
    /// <param name="name">The node name to record.</param>
    /// <param name="follow">Whether a symlink is followed (then its target's metadata is read).</param>
    /// <param name="error">Why the metadata could not be read, or null when the path does not exist (vanished).</param>
    /// <returns>The node, or null when the path is gone or unreadable.</returns>
    public TreeNode? Read(string absolutePath, string name, bool follow, out string? error)
    {
        error = null;
        return native ? ReadNative(absolutePath, name, follow, out error) : ReadAbstract(absolutePath, name, follow, out error);
    }

    /// <summary>
    /// <see cref="Read"/> plus the extended attributes (POSIX ACLs included) on the native path; other platforms record none.
    /// </summary>
    /// <param name="absolutePath">The path to read.</param>
    /// <param name="name">The node name to record.</param>
    /// <param name="follow">Whether a symlink is followed.</param>
    /// <param name="error">Why the metadata could not be read, or null when the path does not exist (vanished).</param>
    /// <param name="incomplete">Why the node's extended attributes are missing or incomplete (the node is still returned), or null.</param>
    public TreeNode? ReadWithAttributes(string absolutePath, string name, bool follow, out string? error, out string? incomplete)
    {
        incomplete = null;
        var node = Read(absolutePath, name, follow, out error);
        if (node is null || !native)
        {
            return node;
        }

        var attributes = UnixExtendedAttributes.Read(absolutePath, follow, out var errno);
        if (errno != 0)
        {
            incomplete = $"extended attributes not read, metadata incomplete: {UnixNative.Describe(errno)}";
        }

        return attributes is null ? node : node with { ExtendedAttributes = attributes };
    }

    private TreeNode? ReadNative(string path, string name, bool follow, out string? error)
    {
        error = null;
        if (UnixNative.Stat(path, follow, out var errno) is not { } stat)
        {
            if (errno is not (ENOENT or ENOTDIR))
            {
                error = UnixNative.Describe(errno);
            }

            return null;
        }

        var type = stat.FileType switch
        {
            UnixStat.Directory => NodeType.Directory,
            UnixStat.Regular => NodeType.File,
            UnixStat.Symlink => NodeType.Symlink,
            _ => NodeType.Special,
        };
        string? linkTarget = null;
        if (type == NodeType.Symlink)
        {
            try
            {
                linkTarget = fileSystem.FileInfo.New(path).LinkTarget;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                error = ex.Message;
                return null;
            }
        }

        return new TreeNode
        {
            Name = name,
            Type = type,
            Mode = stat.Mode,
            Uid = stat.Uid,
            Gid = stat.Gid,
            MtimeNs = stat.MtimeNs,
            CtimeNs = stat.CtimeNs,
            Inode = stat.Inode,
            Device = stat.Device,
            Links = stat.Links,
            Size = type == NodeType.File ? stat.Size : 0,
            LinkTarget = linkTarget,
            DeviceNumber = stat.FileType is UnixStat.CharDevice or UnixStat.BlockDevice ? stat.DeviceNumber : 0,
            // Fewer allocated 512-byte blocks than the size needs means there are holes.
            Sparse = type == NodeType.File && stat.Blocks * 512 < stat.Size,
        };
    }

    private TreeNode? ReadAbstract(string path, string name, bool follow, out string? error)
    {
        error = null;
        try
        {
            IFileSystemInfo info = fileSystem.Directory.Exists(path) ? fileSystem.DirectoryInfo.New(path) : fileSystem.FileInfo.New(path);
            if (follow && info.LinkTarget is not null)
            {
                info = info.ResolveLinkTarget(returnFinalTarget: true) ?? info;
            }

            var isLink = info.LinkTarget is not null;
            if (!info.Exists && !isLink)
            {
                return null;
            }

            var type = isLink ? NodeType.Symlink : info is IDirectoryInfo ? NodeType.Directory : NodeType.File;
            var typeBits = type switch
            {
                NodeType.Directory => UnixStat.Directory,
                NodeType.Symlink => UnixStat.Symlink,
                _ => UnixStat.Regular,
            };
            var mode = OperatingSystem.IsWindows() ? (type == NodeType.Directory ? 0x1ED : 0x1A4u) : (uint)info.UnixFileMode;
            return new TreeNode
            {
                Name = name,
                Type = type,
                Mode = typeBits | mode,
                MtimeNs = (info.LastWriteTimeUtc.Ticks - DateTime.UnixEpoch.Ticks) * 100,
                Links = 1,
                Size = type == NodeType.File && info is IFileInfo file ? file.Length : 0,
                LinkTarget = info.LinkTarget,
            };
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error = ex.Message;
            return null;
        }
    }
}
