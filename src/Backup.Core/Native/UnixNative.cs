using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Backup.Core.Native;

/// <summary>
/// The few libc calls System.IO does not offer: full stat data (owner, inode, device, link count, ns times),
/// ownership, ns timestamps, hard links, special files, and opening files without advisory locks. Linux only; callers check <see cref="IsSupported"/>.
/// </summary>
internal static partial class UnixNative
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const int AtEmptyPath = 0x1000;
    private const int AtRemoveDirectory = 0x200;
    private const int OpenDirectoryOnly = 0x10000;
    private const ulong ResolveNoSymlinks = 0x04;
    private const ulong ResolveBeneath = 0x08;

    // System call numbers of calls glibc does not wrap: the same on every architecture since Linux 5.1's common table.
    private const nint SysOpenat2 = 437;
    private const nint SysFchmodat2 = 452;
    private const int NoSystemCall = 38; // ENOSYS
    private const int InvalidArgument = 22; // EINVAL
    private const int NotPermitted = 1; // EPERM
    private const int AccessDenied = 13; // EACCES
    private const uint StatxBasicStats = 0x7ff;

    // open(2) flags, the same on every Linux architecture .NET runs on (O_NOFOLLOW aside, below).
    private const int OpenReadOnly = 0;
    private const int OpenWriteOnly = 1;
    private const int OpenCreate = 0x40;
    private const int OpenExclusive = 0x80;
    private const int OpenNonBlocking = 0x800;
    private const int OpenCloseOnExec = 0x80000;
    private const int OpenPathOnly = 0x200000;
    private const int NoData = 61; // ENODATA
    private const int PopulateWrite = 23; // MADV_POPULATE_WRITE
    private const int FadviseSequential = 2; // POSIX_FADV_SEQUENTIAL
    private const int FadviseDontNeed = 4; // POSIX_FADV_DONTNEED

    /// <summary>Whether openat2(2) is there (Linux 5.6): asked once, of the root directory.</summary>
    private static readonly Lazy<bool> Openat2 = new(ProbeOpenat2);

    /// <summary>O_NOFOLLOW: 0x20000 in the generic ABI (x86, x64, RISC-V, s390x, LoongArch), 0x8000 on Arm and PowerPC.</summary>
    private static int OpenNoFollow => RuntimeInformation.ProcessArchitecture is Architecture.Arm or Architecture.Arm64 or Architecture.Armv6 or Architecture.Ppc64le ? 0x8000 : 0x20000;

    /// <summary>Whether these calls can be used on this platform.</summary>
    public static bool IsSupported => OperatingSystem.IsLinux();

    /// <summary>Reads the metadata of <paramref name="path"/>; of the link itself unless <paramref name="follow"/>.</summary>
    /// <returns>The metadata, or null with <paramref name="errno"/> set when the call failed.</returns>
    public static unsafe UnixStat? Stat(string path, bool follow, out int errno)
    {
        StatxBuffer buffer;
        if (statx(AtFdCwd, path, follow ? 0 : AtSymlinkNoFollow, StatxBasicStats, &buffer) != 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return null;
        }

        errno = 0;
        return buffer.ToStat();
    }

    /// <summary>Reads the metadata of an open file; null when the call failed.</summary>
    public static unsafe UnixStat? Stat(SafeFileHandle file)
    {
        StatxBuffer buffer;
        return statx(file, string.Empty, AtEmptyPath, StatxBasicStats, &buffer) == 0 ? buffer.ToStat() : null;
    }

    /// <summary>Sets access and modification times (ns) without following a final symlink.</summary>
    public static unsafe int SetTimes(string path, long mtimeNs)
    {
        var times = stackalloc Timespec[2];
        times[0] = times[1] = Timespec.FromNanoseconds(mtimeNs);
        return utimensat(AtFdCwd, path, times, AtSymlinkNoFollow) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>Sets access and modification times (ns) of an open file.</summary>
    public static unsafe int SetTimes(SafeFileHandle file, long mtimeNs)
    {
        var times = stackalloc Timespec[2];
        times[0] = times[1] = Timespec.FromNanoseconds(mtimeNs);
        return futimens(file, times) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>Changes owner and group of an open file.</summary>
    public static int ChangeOwner(SafeFileHandle file, long uid, long gid) =>
        fchown(file, (uint)uid, (uint)gid) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>Changes the permission bits of an open file.</summary>
    public static int ChangeMode(SafeFileHandle file, uint mode) =>
        fchmod(file, mode) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>Changes owner and group without following a final symlink.</summary>
    public static int ChangeOwner(string path, long uid, long gid) =>
        lchown(path, (uint)uid, (uint)gid) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>
    /// Opens an existing file for reading, without the advisory lock and extra stats <see cref="File.OpenHandle"/> adds,
    /// and without waiting for a writer when the path is a FIFO (O_NONBLOCK, which reads of regular files ignore).
    /// </summary>
    /// <returns>The handle, or null with <paramref name="errno"/> set.</returns>
    public static SafeFileHandle? OpenRead(string path, out int errno) => Open(path, OpenReadOnly | OpenNonBlocking | OpenCloseOnExec, 0, out errno);

    /// <summary>
    /// Opens a file whose content is being backed up: never through a final symlink unless <paramref name="follow"/>, and
    /// without waiting for a writer when the path turned into a FIFO (O_NONBLOCK, which reads of regular files ignore).
    /// </summary>
    /// <returns>The handle, or null with <paramref name="errno"/> set (ELOOP for a symlink).</returns>
    public static SafeFileHandle? OpenContent(string path, bool follow, out int errno)
    {
        var handle = Open(path, OpenReadOnly | OpenNonBlocking | OpenCloseOnExec | (follow ? 0 : OpenNoFollow), 0, out errno);
        if (handle is not null)
        {
            // What FileOptions.SequentialScan asks for: a larger readahead window.
            _ = posix_fadvise(handle, 0, 0, FadviseSequential);
        }

        return handle;
    }

    /// <summary>
    /// Writes the file's data to its device and drops its pages from the page cache, so that what is read next comes
    /// from the device rather than from memory (fdatasync, then POSIX_FADV_DONTNEED, which drops only clean pages).
    /// </summary>
    /// <returns>0, or the errno of the fdatasync that failed (a write the device did not take).</returns>
    public static int SyncAndDropCache(SafeFileHandle file)
    {
        if (fdatasync(file) != 0)
        {
            return Marshal.GetLastPInvokeError();
        }

        _ = posix_fadvise(file, 0, 0, FadviseDontNeed);
        return 0;
    }

    /// <summary>
    /// Takes an exclusive advisory lock on an open file without waiting (flock LOCK_EX | LOCK_NB, the lock .NET takes
    /// for FileShare.None); false when it is held elsewhere or cannot be taken at all (on NFS a read-only handle cannot
    /// lock): either way, the file must be treated as in use. The lock goes with the handle.
    /// </summary>
    public static bool TryLockExclusive(SafeFileHandle file) => flock(file, 2 | 4) == 0;

    /// <summary>Opens for reading exactly the file <paramref name="reference"/> refers to, however its path has changed since.</summary>
    /// <returns>The handle, or null when it cannot be reopened (no /proc, or no permission).</returns>
    public static SafeFileHandle? ReopenForReading(SafeFileHandle reference) =>
        Open($"/proc/self/fd/{reference.DangerousGetHandle()}", OpenReadOnly | OpenNonBlocking | OpenCloseOnExec, 0, out _);

    /// <summary>
    /// Copies up to <paramref name="count"/> bytes at <paramref name="offset"/> of one open file to the same offset of
    /// another inside the kernel: no trip through user memory, and a shared extent where the file system can reflink.
    /// </summary>
    /// <returns>The bytes copied (0 at the end of the source), or -1 when the call failed.</returns>
    public static unsafe long CopyFileRange(SafeFileHandle source, SafeFileHandle destination, long offset, long count)
    {
        long sourceOffset = offset, destinationOffset = offset;
        return copy_file_range(source, &sourceOffset, destination, &destinationOffset, (nuint)count, 0);
    }

    /// <summary>
    /// Commits the pages under <paramref name="memory"/> writable in one call (MADV_POPULATE_WRITE), as its first writes
    /// would one fault at a time; the bytes are left as they are. Only a hint: kernels before 5.14 refuse it, and then
    /// the faults happen as before.
    /// </summary>
    public static unsafe void CommitPages(Span<byte> memory)
    {
        var pageMask = (nint)Environment.SystemPageSize - 1;
        fixed (byte* start = memory)
        {
            var first = (nint)start & ~pageMask;
            var end = ((nint)start + memory.Length + pageMask) & ~pageMask;
            _ = madvise(first, end - first, PopulateWrite);
        }
    }

    /// <summary>
    /// Whether an open file may have an access ACL, which can let users its mode does not name write to it: anything
    /// but a clear "no such attribute" (a file system without xattrs, a network ACL) counts as maybe.
    /// </summary>
    public static bool MayHaveAccessAcl(SafeFileHandle file) =>
        fgetxattr(file, "system.posix_acl_access", 0, 0) >= 0 || Marshal.GetLastPInvokeError() != NoData;

    /// <summary>Opens the restore's target directory (following links in the path the caller named) for the *at calls below.</summary>
    /// <returns>The handle, or null with <paramref name="errno"/> set.</returns>
    public static SafeFileHandle? OpenDirectory(string path, out int errno) =>
        Open(path, OpenReadOnly | OpenDirectoryOnly | OpenCloseOnExec, 0, out errno);

    /// <summary>
    /// Opens <paramref name="relative"/> (one or more '/'-separated names) below <paramref name="directory"/> without
    /// following any symbolic link and without leaving it: openat2 with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS where the
    /// kernel has it (5.6), otherwise one openat(O_NOFOLLOW) per name, which guarantees the same for names that are
    /// single segments (neither "." nor ".."), as restore names are.
    /// </summary>
    /// <param name="directory">The directory to resolve from.</param>
    /// <param name="relative">The path below it.</param>
    /// <param name="directoryOnly">Whether the final name must be a directory.</param>
    /// <param name="reference">Open an O_PATH reference (nothing is read, no device is opened) rather than for reading.</param>
    /// <param name="errno">Set when the call failed.</param>
    /// <returns>The handle, or null with <paramref name="errno"/> set (ELOOP or ENOTDIR for a link in the way).</returns>
    public static unsafe SafeFileHandle? OpenBeneath(SafeFileHandle directory, string relative, bool directoryOnly, bool reference, out int errno)
    {
        var flags = (reference ? OpenPathOnly : OpenReadOnly | OpenNonBlocking) | OpenNoFollow | OpenCloseOnExec | (directoryOnly ? OpenDirectoryOnly : 0);
        if (Openat2.Value)
        {
            var how = new OpenHow { Flags = (ulong)flags, Resolve = ResolveBeneath | ResolveNoSymlinks };
            var fd = (int)syscall(SysOpenat2, directory, relative, &how, (nuint)sizeof(OpenHow));
            errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
            return fd < 0 ? null : new SafeFileHandle(fd, ownsHandle: true);
        }

        var segments = relative.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length == 0 || segments.Any(s => s is "." or ".."))
        {
            errno = InvalidArgument;
            return null;
        }

        SafeFileHandle? current = null;
        try
        {
            for (var i = 0; i < segments.Length - 1; i++)
            {
                var next = OpenAt(current ?? directory, segments[i], OpenPathOnly | OpenDirectoryOnly | OpenNoFollow | OpenCloseOnExec, 0, out errno);
                current?.Dispose();
                current = next;
                if (current is null)
                {
                    return null;
                }
            }

            return OpenAt(current ?? directory, segments[^1], flags, 0, out errno);
        }
        finally
        {
            current?.Dispose();
        }
    }

    private static unsafe bool ProbeOpenat2()
    {
        var how = new OpenHow { Flags = (ulong)(OpenPathOnly | OpenCloseOnExec) };
        var fd = (int)syscall(SysOpenat2, AtFdCwd, "/", &how, (nuint)sizeof(OpenHow));
        if (fd < 0)
        {
            return Marshal.GetLastPInvokeError() != NoSystemCall && Marshal.GetLastPInvokeError() != NotPermitted;
        }

        new SafeFileHandle(fd, ownsHandle: true).Dispose();
        return true;
    }

    /// <summary>Creates a new file named <paramref name="name"/> in <paramref name="directory"/> for writing; fails with EEXIST on any entry there, a link too.</summary>
    public static SafeFileHandle? CreateExclusiveAt(SafeFileHandle directory, string name, uint mode, out int errno) =>
        OpenAt(directory, name, OpenWriteOnly | OpenCreate | OpenExclusive | OpenNoFollow | OpenCloseOnExec, mode, out errno);

    /// <summary>Opens an O_PATH reference to the entry <paramref name="name"/> of <paramref name="directory"/>, the link itself for a link.</summary>
    public static SafeFileHandle? OpenReferenceAt(SafeFileHandle directory, string name, out int errno) =>
        OpenAt(directory, name, OpenPathOnly | OpenNoFollow | OpenCloseOnExec, 0, out errno);

    /// <summary>Reads the metadata of the entry <paramref name="name"/> of <paramref name="directory"/>, never following a link.</summary>
    public static unsafe UnixStat? StatAt(SafeFileHandle directory, string name, out int errno)
    {
        StatxBuffer buffer;
        if (statx(directory, name, AtSymlinkNoFollow, StatxBasicStats, &buffer) != 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return null;
        }

        errno = 0;
        return buffer.ToStat();
    }

    /// <summary>Creates the directory <paramref name="name"/> in <paramref name="directory"/>; EEXIST when any entry has that name.</summary>
    public static int CreateDirectoryAt(SafeFileHandle directory, string name, uint mode) =>
        mkdirat(directory, name, mode) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>Creates a FIFO, device node or socket node named <paramref name="name"/> in <paramref name="directory"/>.</summary>
    public static int CreateNodeAt(SafeFileHandle directory, string name, uint mode, ulong device) =>
        mknodat(directory, name, mode, device) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>Creates the symbolic link <paramref name="name"/> in <paramref name="directory"/>.</summary>
    public static int CreateSymlinkAt(string target, SafeFileHandle directory, string name) =>
        symlinkat(target, directory, name) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>Creates a hard link to the entry <paramref name="existingName"/> of <paramref name="existingDirectory"/> (a link itself, never followed).</summary>
    public static int CreateHardLinkAt(SafeFileHandle existingDirectory, string existingName, SafeFileHandle directory, string name) =>
        linkat(existingDirectory, existingName, directory, name, 0) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>Renames within one directory, replacing whatever entry is at <paramref name="to"/> (a link itself, never its target).</summary>
    public static int RenameAt(SafeFileHandle directory, string from, string to) =>
        renameat(directory, from, directory, to) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>Removes the entry <paramref name="name"/> (a file, link or special file; an empty directory with <paramref name="directoryEntry"/>).</summary>
    public static int RemoveAt(SafeFileHandle directory, string name, bool directoryEntry = false) =>
        unlinkat(directory, name, directoryEntry ? AtRemoveDirectory : 0) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>Changes owner and group of what an O_PATH reference (or any descriptor) refers to, a link itself for a link.</summary>
    public static int ChangeOwnerOfReference(SafeFileHandle reference, long uid, long gid) =>
        fchownat(reference, string.Empty, (uint)uid, (uint)gid, AtEmptyPath) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>Sets access and modification times (ns) of what an O_PATH reference refers to, a link itself for a link.</summary>
    public static unsafe int SetTimesOfReference(SafeFileHandle reference, long mtimeNs)
    {
        var times = stackalloc Timespec[2];
        times[0] = times[1] = Timespec.FromNanoseconds(mtimeNs);
        return utimensat(reference, string.Empty, times, AtEmptyPath | AtSymlinkNoFollow) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>
    /// Changes the permission bits of exactly what an O_PATH reference refers to (never a link's target): fchmodat2
    /// (Linux 6.6), else chmod of its /proc/self/fd entry, which reaches that inode whatever its path is now.
    /// </summary>
    public static int ChangeModeOfReference(SafeFileHandle reference, uint mode)
    {
        if (syscall(SysFchmodat2, reference, string.Empty, mode, AtEmptyPath) == 0)
        {
            return 0;
        }

        var errno = Marshal.GetLastPInvokeError();
        if (errno is not (NoSystemCall or InvalidArgument or NotPermitted))
        {
            return errno;
        }

        return chmod($"/proc/self/fd/{reference.DangerousGetHandle()}", mode) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>The effective user ID.</summary>
    public static long EffectiveUserId => geteuid();

    /// <summary>Whether the process runs as root (and so may give files away).</summary>
    public static bool IsRoot => IsSupported && geteuid() == 0;

    /// <summary>The text of an errno value.</summary>
    public static string Describe(int errno) => Marshal.GetPInvokeErrorMessage(errno);

    private static SafeFileHandle? Open(string path, int flags, uint mode, out int errno)
    {
        var fd = open(path, flags, mode);
        if (fd < 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return null;
        }

        errno = 0;
        return new SafeFileHandle(fd, ownsHandle: true);
    }

    private static SafeFileHandle? OpenAt(SafeFileHandle directory, string name, int flags, uint mode, out int errno)
    {
        var fd = openat(directory, name, flags, mode);
        if (fd < 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return null;
        }

        errno = 0;
        return new SafeFileHandle(fd, ownsHandle: true);
    }

    private static ulong MakeDevice(uint major, uint minor) =>
        ((ulong)(major & 0xfffff000) << 32) | ((ulong)(major & 0xfff) << 8) | ((ulong)(minor & 0xffffff00) << 12) | (minor & 0xff);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int statx(int dirfd, string path, int flags, uint mask, StatxBuffer* buffer);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int statx(SafeFileHandle dirfd, string path, int flags, uint mask, StatxBuffer* buffer);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int utimensat(int dirfd, string path, Timespec* times, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int futimens(SafeFileHandle fd, Timespec* times);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fchown(SafeFileHandle fd, uint uid, uint gid);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fchmod(SafeFileHandle fd, uint mode);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags, uint mode);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int lchown(string path, uint uid, uint gid);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int utimensat(SafeFileHandle dirfd, string path, Timespec* times, int flags);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int openat(SafeFileHandle dirfd, string path, int flags, uint mode);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int mkdirat(SafeFileHandle dirfd, string path, uint mode);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int mknodat(SafeFileHandle dirfd, string path, uint mode, ulong device);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int symlinkat(string target, SafeFileHandle dirfd, string path);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int linkat(SafeFileHandle olddirfd, string oldpath, SafeFileHandle newdirfd, string newpath, int flags);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int renameat(SafeFileHandle olddirfd, string oldpath, SafeFileHandle newdirfd, string newpath);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int unlinkat(SafeFileHandle dirfd, string path, int flags);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int fchownat(SafeFileHandle dirfd, string path, uint uid, uint gid, int flags);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int chmod(string path, uint mode);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial nint syscall(nint number, SafeFileHandle dirfd, string path, OpenHow* how, nuint size);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial nint syscall(nint number, int dirfd, string path, OpenHow* how, nuint size);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint syscall(nint number, SafeFileHandle dirfd, string path, uint mode, int flags);

    [LibraryImport("libc")]
    private static partial int madvise(nint address, nint length, int advice);

    [LibraryImport("libc")]
    private static unsafe partial nint copy_file_range(SafeFileHandle fdIn, long* offIn, SafeFileHandle fdOut, long* offOut, nuint length, uint flags);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint fgetxattr(SafeFileHandle fd, string name, nint value, nuint size);

    [LibraryImport("libc")]
    private static partial uint geteuid();

    [LibraryImport("libc")]
    private static partial int posix_fadvise(SafeFileHandle fd, long offset, long length, int advice);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int flock(SafeFileHandle fd, int operation);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fdatasync(SafeFileHandle fd);

    /// <summary>struct open_how of openat2(2).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct OpenHow
    {
        public ulong Flags;
        public ulong Mode;
        public ulong Resolve;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Sec;
        public long Nsec;

        public static Timespec FromNanoseconds(long ns)
        {
            // Floor division: a time before 1970 still has 0 <= Nsec < 1e9, as the kernel requires.
            var sec = Math.DivRem(ns, 1_000_000_000L, out var rest);
            return rest < 0 ? new Timespec { Sec = sec - 1, Nsec = rest + 1_000_000_000L } : new Timespec { Sec = sec, Nsec = rest };
        }
    }

    /// <summary>struct statx: its layout is the same on every Linux architecture, unlike struct stat.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    private struct StatxBuffer
    {
        [FieldOffset(0)] public uint Mask;
        [FieldOffset(16)] public uint Nlink;
        [FieldOffset(20)] public uint Uid;
        [FieldOffset(24)] public uint Gid;
        [FieldOffset(28)] public ushort Mode;
        [FieldOffset(32)] public ulong Ino;
        [FieldOffset(40)] public ulong Size;
        [FieldOffset(48)] public ulong Blocks;
        [FieldOffset(96)] public long CtimeSec;
        [FieldOffset(104)] public uint CtimeNsec;
        [FieldOffset(112)] public long MtimeSec;
        [FieldOffset(120)] public uint MtimeNsec;
        [FieldOffset(128)] public uint RdevMajor;
        [FieldOffset(132)] public uint RdevMinor;
        [FieldOffset(136)] public uint DevMajor;
        [FieldOffset(140)] public uint DevMinor;

        public readonly UnixStat ToStat() => new(
            Mode: Mode,
            Uid: Uid,
            Gid: Gid,
            Links: Nlink,
            Inode: Ino,
            Size: (long)Size,
            Blocks: (long)Blocks,
            MtimeNs: (MtimeSec * 1_000_000_000L) + MtimeNsec,
            CtimeNs: (CtimeSec * 1_000_000_000L) + CtimeNsec,
            Device: MakeDevice(DevMajor, DevMinor),
            DeviceNumber: MakeDevice(RdevMajor, RdevMinor));
    }
}

/// <summary>What statx reports about one path.</summary>
internal readonly record struct UnixStat(uint Mode, long Uid, long Gid, uint Links, ulong Inode, long Size, long Blocks, long MtimeNs, long CtimeNs, ulong Device, ulong DeviceNumber)
{
    public const uint TypeMask = 0xF000;
    public const uint Fifo = 0x1000;
    public const uint CharDevice = 0x2000;
    public const uint Directory = 0x4000;
    public const uint BlockDevice = 0x6000;
    public const uint Regular = 0x8000;
    public const uint Symlink = 0xA000;
    public const uint Socket = 0xC000;

    public uint FileType => Mode & TypeMask;
}
