using Backup.Core.Snapshots;

namespace Backup.Providers;

/// <summary>The table checksums a snapshot recorded, for a verification that reports what it cannot read.</summary>
internal static class RecordedChecksums
{
    /// <summary>
    /// <see cref="ChecksumMetadata.Read"/> of <paramref name="database"/>: the checksums (null when none were recorded),
    /// or why they cannot be read (metadata a backup did not write), which fails the verification instead of throwing.
    /// </summary>
    public static (IReadOnlyList<TableChecksum>? Expected, string? Unreadable) Of(Snapshot snapshot, string kind, string database)
    {
        try
        {
            return (ChecksumMetadata.Read(snapshot.Metadata, kind, database), null);
        }
        catch (FormatException ex)
        {
            return (null, ex.Message);
        }
    }
}
