namespace Backup.Core.Maintenance;

/// <summary>
/// One bit per blob, addressed by the blob's ordinal in a <see cref="Repository.Blobs.ChunkIndex"/>: marking a million
/// blobs takes 125 KB, where a set of 32-byte IDs would take 40 MB or more.
/// </summary>
internal sealed class BlobMarks(int count)
{
    private readonly ulong[] _bits = new ulong[(count + 63) / 64];

    /// <summary>Bytes held.</summary>
    public long MemoryBytes => _bits.Length * 8L;

    /// <summary>Marks <paramref name="ordinal"/>; false when it already was.</summary>
    public bool TryMark(int ordinal)
    {
        ref var word = ref _bits[ordinal >> 6];
        var bit = 1UL << (ordinal & 63);
        if ((word & bit) != 0)
        {
            return false;
        }

        word |= bit;
        return true;
    }

    /// <summary>Whether <paramref name="ordinal"/> is marked.</summary>
    public bool IsMarked(int ordinal) => (_bits[ordinal >> 6] & (1UL << (ordinal & 63))) != 0;
}
