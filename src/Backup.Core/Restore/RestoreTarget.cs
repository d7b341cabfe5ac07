using System.IO.Abstractions;
using System.Security.Cryptography;
using Backup.Core.Native;
using Backup.Core.Snapshots;
using Microsoft.Win32.SafeHandles;

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
/// The file-system operations of a restore: inspecting what exists without following links, creating entries and
/// applying metadata. On Linux's real file system every entry is reached by one name relative to an open handle of its
/// directory (openat2 with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, mkdirat, linkat, mknodat, symlinkat, renameat,
/// unlinkat) and metadata is applied through a descriptor or an O_PATH reference of exactly the entry, so a directory
/// swapped for a link while the restore runs, or a link put in place of an entry, is never followed. Elsewhere
/// (another OS, a simulated file system) it uses paths through <see cref="IFileSystem"/>, checks each is below the target,
/// and guards against what is there before it writes, but not against a concurrent swap.
/// </summary>
internal sealed class RestoreTarget(IFileSystem fileSystem, bool native, bool chown, TargetDirectory root)
{
    private const int NoEntry = 2; // ENOENT
    private const int AccessDenied = 13; // EACCES
    private const int OutOfMemory = 12; // ENOMEM
    private const int SystemOutOfFiles = 23; // ENFILE
    private const int ProcessOutOfFiles = 24; // EMFILE
    private const uint SetIdBits = 0xC00;

    /// <summary>What to do when this user may not write where the restore goes: the same advice for the target and for what is inside it.</summary>
    private const string NotWritableAdvice = "give a target directory this user may write to, or run the restore as a user who may write there";

    /// <summary>The extended attribute holding a file's capabilities, which grant privilege to whoever runs it, as set-ID bits do.</summary>
    private const string CapabilityAttribute = "security.capability";

    private readonly string _rootPrefix = fileSystem.Path.GetFullPath(root.Path).TrimEnd('/', '\\') + fileSystem.Path.DirectorySeparatorChar;

    public IFileSystem FileSystem => fileSystem;

    /// <summary>Whether hard links and special files can be created.</summary>
    public bool Native => native;

    /// <summary>The target directory itself.</summary>
    public TargetDirectory Root => root;

    /// <summary>The advice after an error creating something in the target: only for a permission this user lacks.</summary>
    private static string DeniedAdvice(int errno) => errno == AccessDenied ? $"; {NotWritableAdvice}" : string.Empty;

    /// <summary>Opens (after creating it when missing) the directory a restore writes into.</summary>
    public static TargetDirectory OpenRoot(IFileSystem fileSystem, bool native, string path)
    {
        if (fileSystem.File.Exists(path))
        {
            throw new IOException($"The restore target '{path}' is a file, not a directory: give a directory to restore into (it is created when missing).");
        }

        try
        {
            fileSystem.Directory.CreateDirectory(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // .NET's own message names the innermost path it tried, not what the user asked for.
            throw new IOException($"cannot create the restore target '{path}': {ex.Message.Split(" : ")[0].TrimEnd('.')}; {NotWritableAdvice}.", ex);
        }

        if (!native)
        {
            return new TargetDirectory(path, null, readable: false);
        }

        return new TargetDirectory(path, UnixNative.OpenDirectory(path, out var errno) ?? throw new IOException($"cannot open the target directory '{path}': {UnixNative.Describe(errno)}"), readable: true);
    }

    /// <summary>
    /// Whether the target is the file system's root directory, so every entry goes back to the path it was backed up
    /// from (snapshot paths are the absolute source paths): the same directory as '/', however the target was named.
    /// </summary>
    public bool IsOriginalPlace()
    {
        if (!native)
        {
            return !OperatingSystem.IsWindows() && fileSystem.Path.GetFullPath(root.Path) == "/";
        }

        return UnixNative.Stat(root.Native) is { } target && UnixNative.Stat("/", follow: true, out _) is { } top
            && target.Device == top.Device && target.Inode == top.Inode;
    }

    /// <summary>Whether <paramref name="path"/>, resolved, is below the target (the check for paths the native path never builds).</summary>
    public bool IsBelowRoot(string path) =>
        fileSystem.Path.GetFullPath(path).StartsWith(_rootPrefix, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);

    public ExistingKind Inspect(TargetDirectory directory, string name)
    {
        if (native)
        {
            if (UnixNative.StatAt(directory.Native, name, out _) is not { } stat)
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

        var path = Join(directory.Path, name);
        var info = fileSystem.FileInfo.New(path);
        if (info.LinkTarget is not null)
        {
            return ExistingKind.Symlink;
        }

        return fileSystem.Directory.Exists(path) ? ExistingKind.Directory : fileSystem.File.Exists(path) ? ExistingKind.File : ExistingKind.Missing;
    }

    /// <summary>
    /// Whether <paramref name="name"/> is a file this restore would have left as it is: a regular file with the
    /// snapshot's size and modification time (a restore sets the time last, so not one a stopped restore was writing),
    /// its owner and permission bits as a restore sets them, and no more names than the snapshot gave it (a swapped-in
    /// file of another user, or one linked elsewhere, does not count).
    /// </summary>
    public bool HoldsFinished(TargetDirectory directory, string name, TreeNode node)
    {
        if (native)
        {
            return UnixNative.StatAt(directory.Native, name, out _) is { } stat && stat.FileType == UnixStat.Regular && stat.Links <= Math.Max(1u, node.Links)
                && stat.Size == node.Size && SameTime(stat.MtimeNs, node.MtimeNs) && OwnedAsRestored(stat, node);
        }

        var info = fileSystem.FileInfo.New(Join(directory.Path, name));
        return info.Exists && info.LinkTarget is null && info.Length == node.Size
            && SameTime((info.LastWriteTimeUtc - DateTime.UnixEpoch).Ticks * 100, node.MtimeNs);
    }

    /// <summary>Equal, or the snapshot's time cut to the whole seconds (2 s on FAT) a file system with coarse times keeps.</summary>
    private static bool SameTime(long actualNs, long expectedNs)
    {
        const long Second = 1_000_000_000;
        return actualNs == expectedNs || (actualNs % Second == 0 && expectedNs - actualNs is >= 0 and < 2 * Second);
    }

    /// <summary>The owner and permission bits a restore leaves: the snapshot's when it restores owners, else this user's (set-ID bits only as the snapshot has them).</summary>
    private bool OwnedAsRestored(UnixStat stat, TreeNode node)
    {
        var mode = stat.Mode & 0xFFF;
        var expected = node.Mode & 0xFFF;
        return chown
            ? stat.Uid == node.Uid && stat.Gid == node.Gid && mode == expected
            : stat.Uid == UnixNative.EffectiveUserId && (mode & 0x1FF) == (expected & 0x1FF) && (mode & SetIdBits & ~expected) == 0;
    }

    /// <summary>A fresh name, short enough next to any 255-byte name, for writing before the final rename.</summary>
    public static string TempName() => ".restore-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)) + ".tmp";

    public static string Join(string directory, string name) => directory.EndsWith('/') ? directory + name : directory + "/" + name;

    /// <summary>Removes a file or link (never what a link points to).</summary>
    public void DeleteEntry(TargetDirectory directory, string name)
    {
        if (!native)
        {
            // File.Delete unlinks symlinks themselves.
            fileSystem.File.Delete(Join(directory.Path, name));
            return;
        }

        var errno = UnixNative.RemoveAt(directory.Native, name);
        if (errno is not (0 or NoEntry))
        {
            throw new IOException($"cannot remove '{Join(directory.Path, name)}': {UnixNative.Describe(errno)}");
        }
    }

    /// <summary>Moves a restored entry from its temporary name into place, replacing a file or link already there without following it.</summary>
    public void Replace(TargetDirectory directory, string temp, string name)
    {
        if (!native)
        {
            fileSystem.File.Move(Join(directory.Path, temp), Join(directory.Path, name), overwrite: true);
            return;
        }

        var errno = UnixNative.RenameAt(directory.Native, temp, name);
        if (errno != 0)
        {
            throw new IOException($"cannot move the restored copy into place: {UnixNative.Describe(errno)}");
        }
    }

    /// <summary>Creates a new, empty file for writing; fails when any entry (a link too) is already there.</summary>
    public RestoreFile CreateFile(TargetDirectory directory, string name)
    {
        if (!native)
        {
            return new RestoreFile.Streamed(fileSystem.FileStream.New(Join(directory.Path, name), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.Asynchronous));
        }

        // Owner-only until the snapshot's mode is applied, so nobody reads the content before it may.
        return new RestoreFile.Native(UnixNative.CreateExclusiveAt(directory.Native, name, 0x180, out var errno)
            ?? throw new IOException($"cannot create the file '{Join(directory.Path, name)}': {UnixNative.Describe(errno)}{DeniedAdvice(errno)}", errno));
    }

    /// <summary>
    /// Creates a directory where nothing is, on the native path only: mkdir(2) fails on any entry already there (a
    /// link too), so success needs no look before. Owner-only until the snapshot's mode is applied after its contents.
    /// </summary>
    /// <returns>Whether it was created; false leaves the caller to inspect and decide.</returns>
    public bool TryCreateDirectory(TargetDirectory directory, string name) => native && UnixNative.CreateDirectoryAt(directory.Native, name, 0x1C0) == 0;

    /// <summary>Creates a directory; an entry in the way is an error on the native path.</summary>
    public void CreateDirectory(TargetDirectory directory, string name)
    {
        if (!native)
        {
            fileSystem.Directory.CreateDirectory(Join(directory.Path, name));
            return;
        }

        var errno = UnixNative.CreateDirectoryAt(directory.Native, name, 0x1C0);
        if (errno != 0)
        {
            throw new IOException($"cannot create the directory '{Join(directory.Path, name)}': {UnixNative.Describe(errno)}{DeniedAdvice(errno)}", errno);
        }
    }

    /// <summary>
    /// Opens the directory <paramref name="name"/> of <paramref name="parent"/> to restore into; never a link. A
    /// directory this restore <paramref name="created"/> must still be its own (owned by this process): a stranger's
    /// directory moved into its place is not written into.
    /// </summary>
    /// <returns>The directory, or null when no directory of this restore's is there.</returns>
    public TargetDirectory? OpenDirectory(TargetDirectory parent, string name, bool created)
    {
        var path = Join(parent.Path, name);
        if (!native)
        {
            return Inspect(parent, name) == ExistingKind.Directory ? new TargetDirectory(path, null, readable: false) : null;
        }

        var readable = true;
        var handle = UnixNative.OpenBeneath(parent.Native, name, directoryOnly: true, reference: false, out var errno);
        if (handle is null && errno == AccessDenied)
        {
            // A directory this user may enter but not list: changed through a reference.
            readable = false;
            handle = UnixNative.OpenBeneath(parent.Native, name, directoryOnly: true, reference: true, out _);
        }

        if (handle is null)
        {
            // Out of descriptors is this process's limit (a restore holds one per directory level), not something in
            // the way: said as it is, so a tree deeper than the limit is not taken for an attack.
            if (errno is ProcessOutOfFiles or SystemOutOfFiles or OutOfMemory)
            {
                var advice = errno == OutOfMemory ? string.Empty : " (a restore keeps each directory level open; raise the limit with 'ulimit -n')";
                throw new IOException($"cannot open the directory '{path}': {UnixNative.Describe(errno)}{advice}");
            }

            return null;
        }

        if (created && (UnixNative.Stat(handle) is not { } stat || stat.Uid != UnixNative.EffectiveUserId))
        {
            handle.Dispose();
            return null;
        }

        return new TargetDirectory(path, handle, readable);
    }

    /// <summary>Where later entries find a file this restore wrote, and how they know it is still the same.</summary>
    /// <param name="file">The file, still open.</param>
    /// <param name="relative">Its path below the target.</param>
    public static RestoredCopy? Identify(RestoreFile.Native file, string relative) =>
        UnixNative.Stat(file.Handle) is { } stat ? new RestoredCopy(relative, stat.Device, stat.Inode) : null;

    /// <summary>
    /// Fills <paramref name="file"/>, still empty, with the content of <paramref name="node"/> by copying it inside the
    /// kernel from <paramref name="earlier"/>, a file this restore wrote (and verified) with the same content.
    /// </summary>
    /// <remarks>
    /// The earlier file has its snapshot owner, mode and time by now, and may sit in a directory others control. So it is
    /// only looked at through a reference that opens nothing (no device is ever opened for reading), reached from the
    /// target without following any link, and used only when it is still the same inode, unchanged since (its
    /// modification time is still the snapshot's, which only its owner could set back), with the same owner and group as
    /// this file, no write permission for group or others that this file does not grant too, and no ACL that could
    /// grant more. Set-user-ID and set-group-ID files are never filled from a copy.
    /// </remarks>
    /// <returns>Whether the file now holds the content; when not, it is still empty and the content is to be decoded.</returns>
    public bool TryCopyContent(RestoreFile.Native file, RestoredCopy earlier, TreeNode node, CancellationToken cancellationToken)
    {
        if ((node.Mode & SetIdBits) != 0)
        {
            return false;
        }

        using var reference = UnixNative.OpenBeneath(root.Native, earlier.Path, directoryOnly: false, reference: true, out _);
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

    public void CreateSymlink(TargetDirectory directory, string name, string target)
    {
        if (!native)
        {
            fileSystem.File.CreateSymbolicLink(Join(directory.Path, name), target);
            return;
        }

        var errno = UnixNative.CreateSymlinkAt(target, directory.Native, name);
        if (errno != 0)
        {
            throw new IOException($"cannot create the symlink: {UnixNative.Describe(errno)}", errno);
        }
    }

    /// <summary>
    /// Links <paramref name="name"/> to <paramref name="earlier"/>, the first file of the same inode this restore wrote,
    /// reached from the target without following a link; refused (and removed) when what got linked is no longer it.
    /// </summary>
    public void CreateHardLink(RestoredCopy earlier, TargetDirectory directory, string name)
    {
        var slash = earlier.Path.LastIndexOf('/');
        using var sourceDirectory = slash < 0 ? null
            : UnixNative.OpenBeneath(root.Native, earlier.Path[..slash], directoryOnly: true, reference: true, out var openError)
              ?? throw new IOException($"cannot link to '{earlier.Path}': {UnixNative.Describe(openError)}");
        var errno = UnixNative.CreateHardLinkAt(sourceDirectory ?? root.Native, earlier.Path[(slash + 1)..], directory.Native, name);
        if (errno != 0)
        {
            throw new IOException($"cannot link to '{earlier.Path}': {UnixNative.Describe(errno)}");
        }

        if (UnixNative.StatAt(directory.Native, name, out _) is not { } stat || stat.Device != earlier.Device || stat.Inode != earlier.Inode)
        {
            _ = UnixNative.RemoveAt(directory.Native, name);
            throw new IOException($"not linked: '{earlier.Path}' was replaced after it was restored");
        }
    }

    public void CreateSpecial(TargetDirectory directory, string name, TreeNode node)
    {
        if (!native)
        {
            throw new IOException("special files can only be created on the local Linux file system");
        }

        // Owner-only until the snapshot's mode is applied through a reference to exactly this node.
        var errno = UnixNative.CreateNodeAt(directory.Native, name, (node.Mode & UnixStat.TypeMask) | 0x180, node.DeviceNumber);
        if (errno != 0)
        {
            throw new IOException($"cannot create the special file: {UnixNative.Describe(errno)}", errno);
        }
    }

    /// <summary>
    /// Closes a file after its last write and applies owner, mode and modification time: through its descriptor before
    /// closing when it has one, by path after closing otherwise.
    /// </summary>
    /// <returns>Null, or what could not be applied.</returns>
    public string? Close(RestoreFile file, TargetDirectory directory, string name, TreeNode node)
    {
        if (file is not RestoreFile.Native { Handle: var handle })
        {
            file.Dispose();
            return ApplyMetadata(directory, name, node, null);
        }

        var failure = Apply(handle, readable: true, node, isSymlink: false, isDirectory: false);
        file.Dispose();
        return failure;
    }

    /// <summary>Applies a directory's owner, mode and time, through its handle on the native path.</summary>
    public string? ApplyDirectoryMetadata(TargetDirectory directory, TreeNode node) =>
        native ? Apply(directory.Native, directory.Readable, node, isSymlink: false, isDirectory: true) : ApplyPathMetadata(directory.Path, node);

    /// <summary>
    /// Applies owner, mode and modification time to the entry <paramref name="name"/> this restore made (a link, special
    /// file or hard link): on the native path through a reference to exactly that entry, checked to be of the snapshot's
    /// type and to be the one made (<paramref name="identity"/> for a hard link; otherwise owned by this process with no
    /// other link), so an entry swapped in meanwhile is left alone.
    /// </summary>
    /// <returns>Null, or what could not be applied.</returns>
    public string? ApplyMetadata(TargetDirectory directory, string name, TreeNode node, (ulong Device, ulong Inode)? identity)
    {
        if (!native)
        {
            return ApplyPathMetadata(Join(directory.Path, name), node);
        }

        using var reference = UnixNative.OpenReferenceAt(directory.Native, name, out var errno);
        if (reference is null)
        {
            return $"could not restore owner, mode and time: {UnixNative.Describe(errno)}";
        }

        var expectedType = node.Type switch
        {
            NodeType.Symlink => UnixStat.Symlink,
            NodeType.Special => node.Mode & UnixStat.TypeMask,
            _ => UnixStat.Regular,
        };
        if (UnixNative.Stat(reference) is not { } stat || stat.FileType != expectedType
            || (identity is { } id ? (stat.Device, stat.Inode) != id : stat.Uid != UnixNative.EffectiveUserId || stat.Links != 1))
        {
            return "could not restore owner, mode and time: the entry was replaced while it was restored";
        }

        return Apply(reference, readable: false, node, isSymlink: node.Type == NodeType.Symlink, isDirectory: false);
    }

    /// <summary>
    /// Applies owner, mode and time through a descriptor (<paramref name="readable"/>) or an O_PATH reference. Owner goes
    /// first: chown clears set-user-ID bits that chmod then restores, but only when the owner was restored: a set-ID
    /// file that would now belong to whoever ran the restore gets neither bit.
    /// </summary>
    private string? Apply(SafeFileHandle handle, bool readable, TreeNode node, bool isSymlink, bool isDirectory)
    {
        List<string>? failures = null;
        var ownerRestored = false;
        if (chown)
        {
            var ownerError = readable ? UnixNative.ChangeOwner(handle, node.Uid, node.Gid) : UnixNative.ChangeOwnerOfReference(handle, node.Uid, node.Gid);
            ownerRestored = ownerError == 0;
            if (!ownerRestored)
            {
                (failures ??= []).Add($"owner: {UnixNative.Describe(ownerError)}");
            }
        }

        // Privilege a file carries (set-ID bits, file capabilities) comes back only with its owner: otherwise the file
        // belongs to whoever restores, root included, and would hand out their rights to whoever may run it.
        // (Looked up only for a file that carries either.)
        bool OwnedAsInSnapshot() => ownerRestored || isDirectory
            || (UnixNative.Stat(handle) is { } current && current.Uid == node.Uid && current.Gid == node.Gid);

        // After the owner (chown drops security.capability) and before the mode (a read-only mode would refuse user.* to a non-root owner).
        if (!isSymlink && node.ExtendedAttributes is { Count: > 0 } attributes)
        {
            ApplyExtendedAttributes(handle, readable, attributes, keepCapabilities: !attributes.ContainsKey(CapabilityAttribute) || OwnedAsInSnapshot(), ref failures);
        }

        if (!isSymlink)
        {
            var mode = node.Mode & 0xFFF;
            if ((mode & SetIdBits) != 0 && !OwnedAsInSnapshot())
            {
                mode &= ~SetIdBits;
            }

            var modeError = readable ? UnixNative.ChangeMode(handle, mode) : UnixNative.ChangeModeOfReference(handle, mode);
            if (modeError != 0)
            {
                (failures ??= []).Add($"mode: {UnixNative.Describe(modeError)}");
            }
        }

        var timeError = readable ? UnixNative.SetTimes(handle, node.MtimeNs) : UnixNative.SetTimesOfReference(handle, node.MtimeNs);
        if (timeError != 0)
        {
            (failures ??= []).Add($"time: {UnixNative.Describe(timeError)}");
        }

        return Summarize(failures);
    }

    /// <summary>
    /// Sets the snapshot's extended attributes, POSIX ACLs included. Without root, <c>trusted.*</c> and <c>security.*</c>
    /// cannot be set and are left out without a report; every other failure (a file system without xattrs) is reported.
    /// <c>security.capability</c> is left out, as set-ID bits are cleared, unless <paramref name="keepCapabilities"/>.
    /// </summary>
    private static void ApplyExtendedAttributes(SafeFileHandle handle, bool readable, IReadOnlyDictionary<string, byte[]> attributes, bool keepCapabilities, ref List<string>? failures)
    {
        var root = UnixNative.IsRoot;
        foreach (var (name, value) in attributes)
        {
            if (!root && (name.StartsWith("trusted.", StringComparison.Ordinal) || name.StartsWith("security.", StringComparison.Ordinal)))
            {
                continue;
            }

            if (!keepCapabilities && name == CapabilityAttribute)
            {
                continue;
            }

            var errno = UnixExtendedAttributes.Set(handle, readable, name, value);
            if (errno != 0)
            {
                (failures ??= []).Add($"extended attribute {name}: {UnixNative.Describe(errno)}");
            }
        }
    }

    /// <summary>Applies mode and modification time by path, through the file system abstraction (ownership is never restored there).</summary>
    private string? ApplyPathMetadata(string path, TreeNode node)
    {
        var failures = new List<string>();
        if (node.Type != NodeType.Symlink && !OperatingSystem.IsWindows())
        {
            try
            {
                // The owner is not restored here, so set-ID bits would belong to whoever ran the restore.
                var mode = node.Type == NodeType.Directory ? node.Mode & 0xFFF : node.Mode & 0xFFF & ~SetIdBits;
                fileSystem.File.SetUnixFileMode(path, (UnixFileMode)mode);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                failures.Add($"mode: {ex.Message}");
            }
        }

        if (node.Type != NodeType.Symlink)
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
