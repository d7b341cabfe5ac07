using System.IO.Abstractions;
using System.Security.Cryptography;
using Backup.Core.Native;
using Backup.Core.Snapshots;

namespace Backup.Core.Restore;

/// <summary>What is already at a path in the restore target; links are reported as links, never followed.</summary>
internal enum ExistingKind
{
    Missing,
    File,
    Directory,
    Symlink,
}

/// <summary>
/// The file-system operations of a restore: inspecting what exists without following links, creating links and
/// special files, and applying metadata. Uses libc on Linux for the real file system (ns times, lchown, link,
/// mknod), and what <see cref="IFileSystem"/> offers otherwise.
/// </summary>
internal sealed class RestoreTarget(IFileSystem fileSystem, bool native, bool chown)
{
    public IFileSystem FileSystem => fileSystem;

    /// <summary>Whether hard links and special files can be created.</summary>
    public bool Native => native;

    public ExistingKind Inspect(string path)
    {
        if (native)
        {
            if (UnixNative.Stat(path, follow: false, out _) is not { } stat)
            {
                return ExistingKind.Missing;
            }

            return stat.FileType switch
            {
                UnixStat.Directory => ExistingKind.Directory,
                UnixStat.Symlink => ExistingKind.Symlink,
                _ => ExistingKind.File,
            };
        }

        var info = fileSystem.FileInfo.New(path);
        if (info.LinkTarget is not null)
        {
            return ExistingKind.Symlink;
        }

        return fileSystem.Directory.Exists(path) ? ExistingKind.Directory : fileSystem.File.Exists(path) ? ExistingKind.File : ExistingKind.Missing;
    }

    /// <summary>A fresh name in <paramref name="directory"/>, short enough next to any 255-byte name, for writing before the final rename.</summary>
    public static string TempPath(string directory) =>
        Join(directory, ".restore-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)) + ".tmp");

    public static string Join(string directory, string name) => directory.EndsWith('/') ? directory + name : directory + "/" + name;

    /// <summary>Removes a file or link (never what a link points to).</summary>
    public void DeleteEntry(string path)
    {
        // File.Delete unlinks symlinks themselves.
        fileSystem.File.Delete(path);
    }

    /// <summary>Moves a restored entry from its temporary name into place, replacing a file or link already there without following it.</summary>
    public void Replace(string temp, string path)
    {
        if (!native)
        {
            fileSystem.File.Move(temp, path, overwrite: true);
            return;
        }

        var errno = UnixNative.Rename(temp, path);
        if (errno != 0)
        {
            throw new IOException($"cannot move the restored copy into place: {UnixNative.Describe(errno)}");
        }
    }

    /// <summary>Creates a new, empty file at <paramref name="path"/> for writing; fails when any entry (a link too) is already there.</summary>
    public RestoreFile CreateFile(string path)
    {
        if (!native)
        {
            return new RestoreFile.Streamed(fileSystem.FileStream.New(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous));
        }

        // Owner-only until the snapshot's mode is applied, so nobody reads the content before it may.
        return new RestoreFile.Native(UnixNative.CreateExclusive(path, 0x180, out var errno)
            ?? throw new IOException($"cannot create the file: {UnixNative.Describe(errno)}"));
    }

    /// <summary>
    /// Creates a directory where nothing is, on the native path only: mkdir(2) fails on any entry already there (a
    /// link too), so success needs no look before or after.
    /// </summary>
    /// <returns>Whether it was created; false leaves the caller to inspect and decide.</returns>
    public bool TryCreateDirectory(string path) => native && UnixNative.CreateDirectory(path) == 0;

    /// <summary>What later files of the same content need to find <paramref name="file"/> again and know it is the same; null when it cannot be told.</summary>
    public static RestoredCopy? Identify(RestoreFile.Native file, string path) =>
        UnixNative.Stat(file.Handle) is { } stat ? new RestoredCopy(path, stat.Device, stat.Inode) : null;

    /// <summary>
    /// Fills <paramref name="file"/>, still empty, with the content of <paramref name="node"/> by copying it inside the
    /// kernel from <paramref name="earlier"/>, a file this restore wrote (and verified) with the same content.
    /// </summary>
    /// <remarks>
    /// The earlier file has its snapshot owner, mode and time by now, and may sit in a directory others control. So it is
    /// only looked at through a reference that opens nothing (no device is ever opened for reading), and used only when
    /// it is still the same inode, unchanged since (its modification time is still the snapshot's, which only its owner
    /// could set back), with the same owner and group as this file, no write permission for group or others that this
    /// file does not grant too, and no ACL that could grant more. Set-user-ID and set-group-ID files are never filled
    /// from a copy.
    /// </remarks>
    /// <returns>Whether the file now holds the content; when not, it is still empty and the content is to be decoded.</returns>
    public bool TryCopyContent(RestoreFile.Native file, RestoredCopy earlier, TreeNode node, CancellationToken cancellationToken)
    {
        if ((node.Mode & 0xC00) != 0)
        {
            return false;
        }

        using var reference = UnixNative.OpenReference(earlier.Path);
        if (reference is null || UnixNative.Stat(reference) is not { } stat
            || stat.Device != earlier.Device || stat.Inode != earlier.Inode || stat.FileType != UnixStat.Regular
            || stat.Size != node.Size || stat.MtimeNs != node.MtimeNs || (stat.Mode & 0x12 & ~node.Mode) != 0)
        {
            return false;
        }

        // Without chown the new file keeps the owner and group it was created with.
        var owner = chown ? (node.Uid, node.Gid) : UnixNative.Stat(file.Handle) is { } created ? (created.Uid, created.Gid) : (-1L, -1L);
        if ((stat.Uid, stat.Gid) != owner)
        {
            return false;
        }

        using var source = UnixNative.ReopenForReading(reference);
        return source is not null && !UnixNative.MayHaveAccessAcl(source) && file.TryCopyFrom(source, node.Size, cancellationToken);
    }

    public void CreateSymlink(string path, string target) => fileSystem.File.CreateSymbolicLink(path, target);

    public static void CreateHardLink(string existing, string path)
    {
        var errno = UnixNative.CreateHardLink(existing, path);
        if (errno != 0)
        {
            throw new IOException($"cannot link to '{existing}': {UnixNative.Describe(errno)}");
        }
    }

    public void CreateSpecial(string path, TreeNode node)
    {
        if (!native)
        {
            throw new IOException("special files can only be created on the local Linux file system");
        }

        var errno = UnixNative.CreateNode(path, node.Mode, node.DeviceNumber);
        if (errno != 0)
        {
            throw new IOException($"cannot create the special file: {UnixNative.Describe(errno)}");
        }
    }

    /// <summary>
    /// Closes a file after its last write and applies owner, mode and modification time: through its descriptor before
    /// closing when it has one (three path lookups fewer per file), by path after closing otherwise.
    /// </summary>
    /// <returns>Null, or what could not be applied.</returns>
    public string? Close(RestoreFile file, string path, TreeNode node)
    {
        if (file is not RestoreFile.Native { Handle: var handle })
        {
            file.Dispose();
            return ApplyMetadata(path, node);
        }

        List<string>? failures = null;
        if (chown && UnixNative.ChangeOwner(handle, node.Uid, node.Gid) is not 0 and var ownerError)
        {
            (failures ??= []).Add($"owner: {UnixNative.Describe(ownerError)}");
        }

        if (UnixNative.ChangeMode(handle, node.Mode & 0xFFF) is not 0 and var modeError)
        {
            (failures ??= []).Add($"mode: {UnixNative.Describe(modeError)}");
        }

        if (UnixNative.SetTimes(handle, node.MtimeNs) is not 0 and var timeError)
        {
            (failures ??= []).Add($"time: {UnixNative.Describe(timeError)}");
        }

        file.Dispose();
        return Summarize(failures);
    }

    /// <summary>Applies owner, mode and modification time. Owner goes first: chown clears set-user-ID bits that chmod then restores.</summary>
    /// <returns>Null, or what could not be applied.</returns>
    public string? ApplyMetadata(string path, TreeNode node)
    {
        var failures = new List<string>();
        if (native && chown)
        {
            var errno = UnixNative.ChangeOwner(path, node.Uid, node.Gid);
            if (errno != 0)
            {
                failures.Add($"owner: {UnixNative.Describe(errno)}");
            }
        }

        if (node.Type != NodeType.Symlink && !OperatingSystem.IsWindows())
        {
            try
            {
                fileSystem.File.SetUnixFileMode(path, (UnixFileMode)(node.Mode & 0xFFF));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                failures.Add($"mode: {ex.Message}");
            }
        }

        if (native)
        {
            var errno = UnixNative.SetTimes(path, node.MtimeNs);
            if (errno != 0)
            {
                failures.Add($"time: {UnixNative.Describe(errno)}");
            }
        }
        else if (node.Type != NodeType.Symlink)
        {
            try
            {
                var time = DateTime.UnixEpoch.AddTicks(node.MtimeNs / 100);
                if (node.Type == NodeType.Directory)
                {
                    fileSystem.Directory.SetLastWriteTimeUtc(path, time);
                }
                else
                {
                    fileSystem.File.SetLastWriteTimeUtc(path, time);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentOutOfRangeException)
            {
                failures.Add($"time: {ex.Message}");
            }
        }

        return Summarize(failures);
    }

    private static string? Summarize(List<string>? failures) =>
        failures is null or [] ? null : "could not restore " + string.Join(", ", failures);
}
