using System.Collections;
using System.Runtime.InteropServices;
using Backup.Core.Repository;
using Backup.Core.Repository.Blobs;

namespace Backup.Core.Maintenance;

/// <summary>
/// Every blob entry of every pack listing that check, prune and repair look at, copies of one blob in several
/// packs included, stored once: each pack's entries are consecutive ordinals, and a hash table resolves each blob ID
/// to the copy readers use (an indexed listing before a pack known only from its header, then the smaller pack ID,
/// then the earlier entry). It replaces a blob map plus a copy of every pack's listing (about 56 + 48 bytes a blob):
/// here a blob costs its 48-byte entry plus 4 to 8 bytes of hash table, and marking is one bit per ordinal.
/// </summary>
/// <remarks>Not safe for concurrent writers; concurrent readers are fine once every listing is added.</remarks>
internal sealed class BlobCatalog
{
    private const int SegmentShift = 16;
    private const int SegmentSize = 1 << SegmentShift;
    private readonly List<Entry[]> _segments = [];
    private readonly List<BlobId> _packs = [];
    private readonly List<bool> _packIndexed = [];
    private int[] _slots = new int[1024];
    private int _count;

    /// <summary>The number of entries (a blob stored in two packs counts twice).</summary>
    public int Count => _count;

    /// <summary>Bytes of managed memory held (entries, hash table, pack table).</summary>
    public long MemoryBytes => ((long)_segments.Count * SegmentSize * Marshal.SizeOf<Entry>()) + ((long)_slots.Length * sizeof(int)) + (_packs.Count * 40L);

    /// <summary>
    /// Appends one pack's entries as consecutive ordinals; returns the listing that views them. A pack may be added
    /// once (the caller keeps the first listing of a pack).
    /// </summary>
    /// <param name="pack">The pack.</param>
    /// <param name="entries">Its blobs, as an index or its header lists them.</param>
    /// <param name="indexKey">The index object that lists it; null when read from the pack's own header.</param>
    public PackListing Add(BlobId pack, IReadOnlyList<PackHeaderEntry> entries, string? indexKey)
    {
        var packOrdinal = _packs.Count;
        _packs.Add(pack);
        _packIndexed.Add(indexKey is not null);
        var first = _count;
        foreach (var entry in entries)
        {
            if (entry.RawLength > PackFormat.MaxRawLength)
            {
                throw new InvalidDataException($"The listing of pack {pack.ToShortString()} says blob {entry.Id.ToShortString()} decodes to {entry.RawLength:N0} bytes, more than any blob.");
            }

            if ((_count + 1) * 4L > _slots.Length * 3L)
            {
                Grow();
            }

            if (_count == _segments.Count * SegmentSize)
            {
                _segments.Add(new Entry[SegmentSize]);
            }

            var ordinal = _count++;
            EntryAt(ordinal) = new Entry { Id = entry.Id, Pack = packOrdinal, Offset = entry.Offset, Length = entry.Length, RawLengthAndType = entry.RawLength | ((uint)entry.Type << 28) };
            var slot = FindSlot(entry.Id);
            if (_slots[slot] == 0)
            {
                _slots[slot] = ordinal + 1;
            }
            else if (Prefers(packOrdinal, EntryAt(_slots[slot] - 1).Pack))
            {
                _slots[slot] = ordinal + 1;
            }
        }

        return new PackListing(pack, new PackEntries(this, first, _count - first), indexKey);
    }

    /// <summary>Whether any copy of the blob is listed.</summary>
    public bool Contains(BlobId id) => Find(id) >= 0;

    /// <summary>The ordinal and location of the copy readers use.</summary>
    public bool TryGetOrdinal(BlobId id, out int ordinal, out BlobLocation location)
    {
        ordinal = Find(id);
        if (ordinal < 0)
        {
            location = default;
            return false;
        }

        location = LocationAt(ordinal);
        return true;
    }

    /// <summary>The location of the copy readers use.</summary>
    public bool TryGet(BlobId id, out BlobLocation location) => TryGetOrdinal(id, out _, out location);

    /// <summary>The entry at <paramref name="ordinal"/> as its pack lists it.</summary>
    public PackHeaderEntry EntryAtOrdinal(int ordinal)
    {
        ref var entry = ref EntryAt(ordinal);
        return new PackHeaderEntry(entry.Id, (BlobType)(entry.RawLengthAndType >> 28), entry.Offset, entry.Length, entry.RawLengthAndType & 0x0FFF_FFFF);
    }

    /// <summary>The pack that holds the entry at <paramref name="ordinal"/>.</summary>
    public BlobId PackAt(int ordinal) => _packs[EntryAt(ordinal).Pack];

    /// <summary>Whether the entry at <paramref name="ordinal"/> is the copy its blob ID resolves to.</summary>
    public bool IsResolved(int ordinal) => Find(EntryAt(ordinal).Id) == ordinal;

    private BlobLocation LocationAt(int ordinal)
    {
        ref var entry = ref EntryAt(ordinal);
        return new BlobLocation(_packs[entry.Pack], (BlobType)(entry.RawLengthAndType >> 28), entry.Offset, entry.Length, entry.RawLengthAndType & 0x0FFF_FFFF);
    }

    /// <summary>Indexed listings before header-only ones, then the smaller pack ID (so which copy wins does not depend on listing order).</summary>
    private bool Prefers(int candidate, int current) =>
        candidate != current && (_packIndexed[candidate] != _packIndexed[current] ? _packIndexed[candidate] : _packs[candidate] < _packs[current]);

    /// <summary>The most slots a lookup can probe (<see cref="SlotRuns.Longest"/>).</summary>
    internal int LongestProbeRun => SlotRuns.Longest(_slots);

    private ref Entry EntryAt(int ordinal) => ref _segments[ordinal >> SegmentShift][ordinal & (SegmentSize - 1)];

    private int Find(BlobId id)
    {
        var value = _slots[FindSlot(id)];
        return value - 1;
    }

    /// <summary>The slot holding <paramref name="id"/>, or the empty slot where it would go.</summary>
    private int FindSlot(BlobId id)
    {
        var mask = _slots.Length - 1;
        for (var slot = id.GetHashCode() & mask; ; slot = (slot + 1) & mask)
        {
            var value = _slots[slot];
            if (value == 0 || EntryAt(value - 1).Id == id)
            {
                return slot;
            }
        }
    }

    private void Grow()
    {
        // Only resolved ordinals are in the table; re-inserting them keeps every resolution.
        var old = _slots;
        _slots = new int[old.Length * 2];
        var mask = _slots.Length - 1;
        foreach (var value in old)
        {
            if (value == 0)
            {
                continue;
            }

            var slot = EntryAt(value - 1).Id.GetHashCode() & mask;
            while (_slots[slot] != 0)
            {
                slot = (slot + 1) & mask;
            }

            _slots[slot] = value;
        }
    }

    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    private struct Entry
    {
        public BlobId Id;
        public int Pack;
        public uint Offset;
        public uint Length;
        public uint RawLengthAndType;
    }

    /// <summary>One pack's consecutive entries in a catalog, read as header entries without copying them.</summary>
    internal sealed class PackEntries(BlobCatalog catalog, int first, int count) : IReadOnlyList<PackHeaderEntry>
    {
        /// <summary>The ordinal of the pack's first entry.</summary>
        public int First => first;

        /// <inheritdoc />
        public int Count => count;

        /// <inheritdoc />
        public PackHeaderEntry this[int index] => (uint)index < (uint)count ? catalog.EntryAtOrdinal(first + index) : throw new ArgumentOutOfRangeException(nameof(index));

        /// <inheritdoc />
        public IEnumerator<PackHeaderEntry> GetEnumerator()
        {
            for (var i = 0; i < count; i++)
            {
                yield return catalog.EntryAtOrdinal(first + i);
            }
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
