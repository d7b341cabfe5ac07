namespace Backup.Core.Storage;

/// <summary>
/// The storage has no room left: its disk is full, or its owner's disk quota is used up. Nothing more can be
/// written there until space is freed; what was written before stays usable.
/// </summary>
public sealed class StorageFullException : BackupTargetException
{
    // errno values on Linux (ENOSPC, EDQUOT) and the Win32 errors .NET puts in HResult on Windows.
    private const int NoSpaceErrno = 28;
    private const int QuotaErrno = 122;
    private const int WindowsDiskFull = unchecked((int)0x80070070);
    private const int WindowsHandleDiskFull = unchecked((int)0x80070027);

    /// <summary>Creates the exception for <paramref name="location"/> (a target's description or a directory).</summary>
    public StorageFullException(string location, bool overQuota, Exception? innerException = null)
        : base($"{Capitalize(location)} is full: {(overQuota ? "the disk quota is exceeded" : "no space is left on the device")}.", innerException)
    {
        Location = location;
        OverQuota = overQuota;
    }

    /// <summary>The storage that is full, as its target describes it (such as <c>local directory '/mnt/backup'</c>).</summary>
    public string Location { get; }

    /// <summary>Whether a disk quota ran out rather than the device itself.</summary>
    public bool OverQuota { get; }

    /// <summary>Whether <paramref name="exception"/> (or one it wraps) says the disk is full or the quota exceeded, and which.</summary>
    internal static bool IsFull(Exception? exception, out bool overQuota)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is StorageFullException full)
            {
                overQuota = full.OverQuota;
                return true;
            }

            if (current is IOException && current.HResult is NoSpaceErrno or QuotaErrno or WindowsDiskFull or WindowsHandleDiskFull)
            {
                overQuota = current.HResult == QuotaErrno;
                return true;
            }
        }

        overQuota = false;
        return false;
    }

    /// <summary>Whether <paramref name="errno"/> (from a native call) means the disk is full or the quota exceeded.</summary>
    internal static bool IsFullErrno(int errno) => errno is NoSpaceErrno or QuotaErrno;

    private static string Capitalize(string location) =>
        location.Length > 0 && char.IsLower(location[0]) ? char.ToUpperInvariant(location[0]) + location[1..] : location;
}
