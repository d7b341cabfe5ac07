using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Backup.Core.Native;

/// <summary>
/// Switches an open file to direct I/O (O_DIRECT: writes go from the caller's buffer to the device, not through the
/// page cache) on Linux's local disk file systems, and back. Only where it is known to work as a plain write: ext2/3/4,
/// XFS and Btrfs on x64 and Arm64 (the flag's value differs by architecture). Network and FUSE file systems keep the
/// page cache, which batches their writes until the fsync.
/// </summary>
internal static partial class DirectIo
{
    /// <summary>What direct writes must be aligned to (buffer address, file offset, length): the largest logical block size of common disks.</summary>
    public const int Alignment = 4096;

    private const int GetFlags = 3; // F_GETFL
    private const int SetFlags = 4; // F_SETFL
    private const long Ext4Magic = 0xEF53; // ext2, ext3 and ext4
    private const long XfsMagic = 0x58465342;
    private const long BtrfsMagic = 0x9123683E;

    private static int Flag => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 0x4000,
        Architecture.Arm64 => 0x10000,
        _ => 0,
    };

    /// <summary>Turns direct I/O on for <paramref name="handle"/>; false (and nothing changed) where it does not apply or the kernel refuses.</summary>
    public static unsafe bool TryEnable(SafeFileHandle handle)
    {
        if (!OperatingSystem.IsLinux() || Flag == 0)
        {
            return false;
        }

        try
        {
            // struct statfs starts with f_type (a long) on both architectures; the rest is not read.
            var buffer = stackalloc long[32];
            if (fstatfs(handle, buffer) != 0 || buffer[0] is not (Ext4Magic or XfsMagic or BtrfsMagic))
            {
                return false;
            }

            var flags = fcntl(handle, GetFlags, 0);
            return flags >= 0 && fcntl(handle, SetFlags, flags | Flag) == 0;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            // A libc without these (not glibc or musl): the page cache, as everywhere else.
            return false;
        }
    }

    /// <summary>Whether <paramref name="errno"/> (an <see cref="IOException"/>'s HResult on Linux) is a refusal of direct I/O itself: EINVAL or EOPNOTSUPP.</summary>
    public static bool IsRefusal(int errno) => errno is 22 or 95;

    /// <summary>Turns direct I/O off again (after a write the file system refused); whether it is off.</summary>
    public static bool TryDisable(SafeFileHandle handle)
    {
        var flags = fcntl(handle, GetFlags, 0);
        return flags >= 0 && fcntl(handle, SetFlags, flags & ~Flag) == 0;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int fstatfs(SafeFileHandle fd, long* buffer);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fcntl(SafeFileHandle fd, int command, int argument);
}
