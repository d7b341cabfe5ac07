using System.Buffers;

namespace Backup.Core.Buffers;

/// <summary>A rented array and the length in use; disposing returns the array to the pool.</summary>
internal sealed class PooledBuffer : IMemoryOwner<byte>
{
    private readonly ArrayPool<byte> _pool;
    private byte[]? _array;

    /// <summary>Rents at least <paramref name="length"/> bytes from <paramref name="pool"/> (the shared pool when null) and uses the first <paramref name="length"/>.</summary>
    /// <param name="length">The length in use.</param>
    /// <param name="pool">Where the array comes from.</param>
    /// <param name="willFill">Whether the caller writes all <paramref name="length"/> bytes right away: a new array from a repository's pool then has its memory committed in one call rather than page by page as it is written.</param>
    public PooledBuffer(int length, ArrayPool<byte>? pool = null, bool willFill = false)
    {
        _pool = pool ?? ArrayPool<byte>.Shared;
        _array = BufferPool.RentFrom(_pool, Math.Max(length, 1), willFill);
        Length = length;
    }

    /// <summary>The length in use.</summary>
    public int Length { get; private set; }

    /// <summary>The bytes in use.</summary>
    public Memory<byte> Memory => (_array ?? throw new ObjectDisposedException(nameof(PooledBuffer))).AsMemory(0, Length);

    /// <summary>The bytes in use.</summary>
    public Span<byte> Span => Memory.Span;

    /// <summary>Uses only the first <paramref name="length"/> bytes from now on.</summary>
    public void Shrink(int length)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, Length);
        Length = length;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        var array = Interlocked.Exchange(ref _array, null);
        if (array is not null)
        {
            _pool.Return(array);
        }
    }
}
