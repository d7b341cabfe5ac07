using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Backup.Providers;

/// <summary>Opening files that someone else may have put in a shared directory, on Linux.</summary>
internal static partial class UnixFiles
{
    private const int OpenReadOnly = 0;
    private const int OpenNonBlocking = 0x800;
    private const int OpenCloseOnExec = 0x80000;

    /// <summary>O_NOFOLLOW: 0x20000 in the generic ABI (x86, x64, RISC-V, s390x, LoongArch), 0x8000 on Arm and PowerPC.</summary>
    private static int OpenNoFollow => RuntimeInformation.ProcessArchitecture is Architecture.Arm or Architecture.Arm64 or Architecture.Armv6 or Architecture.Ppc64le ? 0x8000 : 0x20000;

    /// <summary>
    /// Opens <paramref name="path"/> for reading if it is a regular file reached without following a symlink; null
    /// otherwise. It never waits: a plain open of a FIFO someone planted under the name blocks until a writer comes.
    /// </summary>
    public static FileStream? OpenRegularFile(string path)
    {
        var descriptor = open(path, OpenReadOnly | OpenNonBlocking | OpenCloseOnExec | OpenNoFollow);
        if (descriptor < 0)
        {
            return null;
        }

        var stream = new FileStream(new SafeFileHandle(descriptor, ownsHandle: true), FileAccess.Read, bufferSize: 0);
        if (stream.CanSeek)
        {
            return stream;
        }

        // A FIFO, socket or device.
        stream.Dispose();
        return null;
    }

    /// <summary>
    /// Takes an exclusive advisory lock on an open file without waiting (the lock .NET takes for FileShare.None);
    /// false when it is held elsewhere or cannot be taken at all (on NFS a read-only handle cannot lock): either way,
    /// the file must be treated as in use.
    /// </summary>
    public static bool TryLockExclusive(SafeFileHandle file) => flock(file, 2 | 4) == 0;

    /// <summary>
    /// Writes a file through to the disk, failing when the disk says it could not: FileStream.Flush(flushToDisk: true)
    /// returned normally when fsync failed with EIO (seen on .NET 10). File systems that cannot sync (EINVAL, EROFS,
    /// ENOTSUP) are not an error.
    /// </summary>
    /// <exception cref="IOException">fsync failed.</exception>
    public static void SyncToDisk(FileStream file)
    {
        if (OperatingSystem.IsWindows())
        {
            file.Flush(flushToDisk: true);
            return;
        }

        file.Flush();
        if (fsync(file.SafeFileHandle) != 0 && Marshal.GetLastPInvokeError() is var errno && errno is not (22 or 30 or 95))
        {
            throw new IOException($"Writing '{file.Name}' through to the disk failed: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
        }
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int flock(SafeFileHandle fd, int operation);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fsync(SafeFileHandle fd);
}
