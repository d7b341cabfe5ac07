using System.Buffers;
using System.Numerics;
using Backup.Core.Native;

namespace Backup.Core.Buffers;

/// <summary>
/// A repository's pool of chunk-sized buffers: power-of-two arrays, kept per size up to a limit, the most recently
/// returned handed out first (it is still in cache).
/// </summary>
/// <remarks>
/// A caller that is about to fill what it rents says so (<see cref="Rent(int, bool)"/>), and a new large array then
/// has those pages committed in one system call (Linux) instead of by one page fault per 4 KiB as they are first
/// written. On a virtual machine every fault is a trip through the hypervisor: restoring the SDK benchmark took
/// 9,000 of them to fill fresh decode buffers, and one such fault cost 19 µs here. Capacity that may stay unused
/// is not committed, so it costs no memory.
/// </remarks>
internal sealed class BufferPool : ArrayPool<byte>
{
    private const int SmallestShift = 8;

    /// <summary>Below this the array sits in memory the allocator has touched already, or costs a fault or two.</summary>
    private const int CommitThreshold = 64 * 1024;

    private readonly Bucket[] _buckets;
    private readonly int _maxArrayLength;

    /// <summary>Pools arrays of up to <paramref name="maxArrayLength"/> bytes (rounded up to a power of two, at most 1 GiB), at most <paramref name="maxArraysPerSize"/> of each size.</summary>
    public BufferPool(int maxArrayLength, int maxArraysPerSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxArrayLength, 1 << SmallestShift);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxArrayLength, 1 << 30);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxArraysPerSize, 1);
        _maxArrayLength = (int)BitOperations.RoundUpToPowerOf2((uint)maxArrayLength);
        _buckets = new Bucket[BitOperations.Log2((uint)_maxArrayLength) - SmallestShift + 1];
        for (var i = 0; i < _buckets.Length; i++)
        {
            _buckets[i] = new Bucket(maxArraysPerSize);
        }
    }

    /// <inheritdoc />
    public override byte[] Rent(int minimumLength) => Rent(minimumLength, willFill: false);

    /// <summary>Rents from <paramref name="pool"/>, passing <paramref name="willFill"/> on when it is a <see cref="BufferPool"/>.</summary>
    public static byte[] RentFrom(ArrayPool<byte> pool, int minimumLength, bool willFill) =>
        pool is BufferPool ours ? ours.Rent(minimumLength, willFill) : pool.Rent(minimumLength);

    /// <summary>Rents an array of at least <paramref name="minimumLength"/> bytes.</summary>
    /// <param name="minimumLength">The length needed.</param>
    /// <param name="willFill">Whether the caller writes all <paramref name="minimumLength"/> bytes right away.</param>
    public byte[] Rent(int minimumLength, bool willFill)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(minimumLength);
        if (minimumLength == 0)
        {
            return [];
        }

        var filled = willFill ? minimumLength : 0;
        if (minimumLength > _maxArrayLength)
        {
            return Allocate(minimumLength, filled);
        }

        var index = BucketIndex(minimumLength);
        return _buckets[index].TryTake() ?? Allocate(1 << (index + SmallestShift), filled);
    }

    /// <inheritdoc />
    public override void Return(byte[] array, bool clearArray = false)
    {
        ArgumentNullException.ThrowIfNull(array);
        if (array.Length < 1 << SmallestShift || array.Length > _maxArrayLength || !BitOperations.IsPow2(array.Length))
        {
            // Not a size this pool hands out (empty, larger than pooled, or foreign): the collector takes it.
            return;
        }

        if (clearArray)
        {
            Array.Clear(array);
        }

        _buckets[BucketIndex(array.Length)].TryAdd(array);
    }

    private static int BucketIndex(int length) =>
        Math.Max(BitOperations.Log2(BitOperations.RoundUpToPowerOf2((uint)length)) - SmallestShift, 0);

    private static byte[] Allocate(int length, int filled)
    {
        var array = GC.AllocateUninitializedArray<byte>(length);
        if (filled >= CommitThreshold && UnixNative.IsSupported)
        {
            UnixNative.CommitPages(array.AsSpan(0, filled));
        }

        return array;
    }

    /// <summary>The arrays of one size waiting to be rented again.</summary>
    private sealed class Bucket(int capacity)
    {
        private readonly byte[]?[] _arrays = new byte[capacity][];
        private readonly Lock _lock = new();
        private int _count;

        public byte[]? TryTake()
        {
            lock (_lock)
            {
                if (_count == 0)
                {
                    return null;
                }

                var array = _arrays[--_count];
                _arrays[_count] = null;
                return array;
            }
        }

        public void TryAdd(byte[] array)
        {
            lock (_lock)
            {
                if (_count < _arrays.Length)
                {
                    _arrays[_count++] = array;
                }
            }
        }
    }
}
