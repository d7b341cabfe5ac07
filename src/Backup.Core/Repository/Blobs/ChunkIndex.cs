using System.Runtime.InteropServices;

namespace Backup.Core.Repository.Blobs;

/// <summary>
/// The in-memory map from blob ID to its location, built from the repository's index objects. It is the
/// only thing deduplication consults, so a backup never reads packs to learn what is stored.
/// </summary>
/// <remarks>
/// Compact by design (about 56 bytes a blob): entries are 48-byte structs in fixed-size segments (no copying
/// when growing, no large slack), found through an open-addressing table of 32-bit slots kept at most 3/4 full.
/// Pack IDs are stored once and referenced by ordinal. Safe for concurrent readers and writers.
/// </remarks>
internal sealed class ChunkIndex
{
    private const int SegmentShift = 16;
    private const int SegmentSize = 1 << SegmentShift;
    private readonly object _gate = new();
    private readonly List<Entry[]> _segments = [];
    private readonly List<BlobId> _packs = [];
    private readonly Dictionary<BlobId, int> _packOrdinals = [];
    private int[] _slots = new int[1024];
    private int _count;

    /// <summary>The number of blobs known.</summary>
    public int Count { get { lock (_gate) { return _count; } } }

    /// <summary>The number of packs known.</summary>
    public int PackCount { get { lock (_gate) { return _packs.Count; } } }

    /// <summary>Bytes of managed memory the index holds (entries, slots and pack table).</summary>
    public long MemoryBytes
    {
        get
        {
            lock (_gate)
            {
                return (long)_segments.Count * SegmentSize * Marshal.SizeOf<Entry>() + (long)_slots.Length * sizeof(int) + _packs.Count * 64L;
            }
        }
    }

    /// <summary>The most slots a lookup can probe (<see cref="SlotRuns.Longest"/>).</summary>
    internal int LongestProbeRun { get { lock (_gate) { return SlotRuns.Longest(_slots); } } }

    /// <summary>Whether the blob is known.</summary>
    public bool Contains(BlobId id) => TryGet(id, out _);

    /// <summary>Finds a blob's location.</summary>
    public bool TryGet(BlobId id, out BlobLocation location)
    {
        lock (_gate)
        {
            var index = Find(id);
            if (index < 0)
            {
                location = default;
                return false;
            }

            ref var entry = ref EntryAt(index);
            location = new BlobLocation(_packs[entry.Pack], (BlobType)(entry.RawLengthAndType >> 28), entry.Offset, entry.Length, entry.RawLengthAndType & 0x0FFF_FFFF);
            return true;
        }
    }

    /// <summary>Records a blob's location; returns false (and changes nothing) when the blob is already known.</summary>
    public bool TryAdd(BlobId id, BlobLocation location)
    {
        CheckRawLength(location);
        lock (_gate)
        {
            if (Find(id) >= 0)
            {
                return false;
            }

            if ((_count + 1) * 4L > _slots.Length * 3L)
            {
                Grow();
            }

            if (_count == _segments.Count * SegmentSize)
            {
                _segments.Add(new Entry[SegmentSize]);
            }

            var index = _count++;
            EntryAt(index) = EntryFor(id, location);
            Insert(id, index);
            return true;
        }
    }

    /// <summary>
    /// Points a known blob at another copy of it (or adds it), for a blob whose recorded pack is gone from storage
    /// and that was found, or stored again, elsewhere. The blob keeps its ordinal.
    /// </summary>
    public void Relocate(BlobId id, BlobLocation location)
    {
        CheckRawLength(location);
        lock (_gate)
        {
            var index = Find(id);
            if (index < 0)
            {
                TryAdd(id, location);
                return;
            }

            EntryAt(index) = EntryFor(id, location);
        }
    }

    private static void CheckRawLength(BlobLocation location)
    {
        if (location.RawLength > PackFormat.MaxRawLength)
        {
            throw new ArgumentOutOfRangeException(nameof(location), "A blob may decode to at most 256 MiB.");
        }
    }

    /// <summary>The entry for a blob at <paramref name="location"/>, its pack added to the pack table when new; under the lock.</summary>
    private Entry EntryFor(BlobId id, BlobLocation location)
    {
        if (!_packOrdinals.TryGetValue(location.Pack, out var pack))
        {
            pack = _packs.Count;
            _packs.Add(location.Pack);
            _packOrdinals.Add(location.Pack, pack);
        }

        return new Entry
        {
            Id = id,
            Pack = pack,
            Offset = location.Offset,
            Length = location.Length,
            RawLengthAndType = location.RawLength | ((uint)location.Type << 28),
        };
    }

    /// <summary>
    /// Finds a blob's location and its ordinal (0 to <see cref="Count"/> − 1, fixed once added), so maintenance
    /// can mark blobs in a bitmap of one bit per blob instead of a set of 32-byte IDs.
    /// </summary>
    internal bool TryGetOrdinal(BlobId id, out int ordinal, out BlobLocation location)
    {
        lock (_gate)
        {
            ordinal = Find(id);
            if (ordinal < 0)
            {
                location = default;
                return false;
            }

            ref var entry = ref EntryAt(ordinal);
            location = new BlobLocation(_packs[entry.Pack], (BlobType)(entry.RawLengthAndType >> 28), entry.Offset, entry.Length, entry.RawLengthAndType & 0x0FFF_FFFF);
            return true;
        }
    }

    /// <summary>
    /// Forgets everything, so the index can be loaded again after prune or repair deleted packs: a stale entry
    /// would make a later backup skip storing a chunk that no longer exists.
    /// </summary>
    internal void Clear()
    {
        lock (_gate)
        {
            _segments.Clear();
            _packs.Clear();
            _packOrdinals.Clear();
            _slots = new int[1024];
            _count = 0;
        }
    }

    /// <summary>A snapshot of every entry, for repair, prune and check.</summary>
    public IReadOnlyList<(BlobId Id, BlobLocation Location)> ToList()
    {
        lock (_gate)
        {
            var list = new List<(BlobId, BlobLocation)>(_count);
            for (var i = 0; i < _count; i++)
            {
                ref var entry = ref EntryAt(i);
                list.Add((entry.Id, new BlobLocation(_packs[entry.Pack], (BlobType)(entry.RawLengthAndType >> 28), entry.Offset, entry.Length, entry.RawLengthAndType & 0x0FFF_FFFF)));
            }

            return list;
        }
    }

    /// <summary>
    /// Every entry of one type (the trees, for a restore that reads them per pack), grouped by pack, with the span of
    /// all blobs (of any type) each of those packs holds.
    /// </summary>
    public Dictionary<BlobId, (List<(BlobId Id, BlobLocation Location)> Entries, long Start, long End)> ListByPack(BlobType type)
    {
        lock (_gate)
        {
            var spans = new (long Start, long End)[_packs.Count];
            Array.Fill(spans, (long.MaxValue, 0L));
            var byPack = new Dictionary<int, List<(BlobId, BlobLocation)>>();
            for (var i = 0; i < _count; i++)
            {
                ref var entry = ref EntryAt(i);
                ref var span = ref spans[entry.Pack];
                span = (Math.Min(span.Start, entry.Offset), Math.Max(span.End, (long)entry.Offset + entry.Length));
                if ((BlobType)(entry.RawLengthAndType >> 28) != type)
                {
                    continue;
                }

                if (!byPack.TryGetValue(entry.Pack, out var list))
                {
                    byPack[entry.Pack] = list = [];
                }

                list.Add((entry.Id, new BlobLocation(_packs[entry.Pack], type, entry.Offset, entry.Length, entry.RawLengthAndType & 0x0FFF_FFFF)));
            }

            return byPack.ToDictionary(p => _packs[p.Key], p => (p.Value, spans[p.Key].Start, spans[p.Key].End));
        }
    }

    /// <summary>The IDs of every pack that holds at least one known blob.</summary>
    public IReadOnlyCollection<BlobId> Packs() { lock (_gate) { return [.. _packs]; } }

    /// <summary>Whether any known blob lives in <paramref name="pack"/>.</summary>
    public bool ContainsPack(BlobId pack) { lock (_gate) { return _packOrdinals.ContainsKey(pack); } }

    private ref Entry EntryAt(int index) => ref _segments[index >> SegmentShift][index & (SegmentSize - 1)];

    private int Find(BlobId id)
    {
        var mask = _slots.Length - 1;
        for (var slot = id.GetHashCode() & mask; ; slot = (slot + 1) & mask)
        {
            var value = _slots[slot];
            if (value == 0)
            {
                return -1;
            }

            if (EntryAt(value - 1).Id == id)
            {
                return value - 1;
            }
        }
    }

    private void Insert(BlobId id, int index)
    {
        var mask = _slots.Length - 1;
        var slot = id.GetHashCode() & mask;
        while (_slots[slot] != 0)
        {
            slot = (slot + 1) & mask;
        }

        _slots[slot] = index + 1;
    }

    private void Grow()
    {
        _slots = new int[_slots.Length * 2];
        for (var i = 0; i < _count; i++)
        {
            Insert(EntryAt(i).Id, i);
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
}
