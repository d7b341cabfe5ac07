using Backup.Core.Storage;

namespace Backup.Tests.Support;

/// <summary>Range reads into a new array, for tests that compare what they read.</summary>
internal static class TargetReads
{
    /// <summary>Reads exactly <paramref name="length"/> bytes at <paramref name="offset"/> (see <see cref="BackupTargetExtensions.ReadExactlyAsync"/>).</summary>
    public static async Task<byte[]> ReadRangeArrayAsync(this IBackupTarget target, string key, long offset, int length, CancellationToken cancellationToken = default)
    {
        var bytes = new byte[length];
        await target.ReadExactlyAsync(key, offset, bytes, cancellationToken);
        return bytes;
    }
}
