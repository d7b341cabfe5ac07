using System.Buffers;

namespace Backup.Core.Buffers;

/// <summary>An <see cref="IBufferWriter{T}"/> over arrays rented from <see cref="ArrayPool{T}.Shared"/>, so the hot path does not churn the large-object heap.</summary>
internal sealed class PooledBufferWriter : IBufferWriter<byte>, IDisposable
{
    private readonly ArrayPool<byte> _pool;
    private byte[] _buffer;
    private int _written;

    /// <summary>Rents a buffer of at least <paramref name="initialCapacity"/> bytes.</summary>
    public PooledBufferWriter(int initialCapacity = 4096) : this(initialCapacity, ArrayPool<byte>.Shared) { }

    /// <summary>Rents a buffer of at least <paramref name="initialCapacity"/> bytes from <paramref name="pool"/>.</summary>
    /// <param name="initialCapacity">The bytes to have room for.</param>
    /// <param name="pool">Where the arrays come from.</param>
    /// <param name="willFill">Whether the caller writes all <paramref name="initialCapacity"/> bytes right away: a new array from a repository's pool then has its memory committed in one call rather than page by page as it is written.</param>
    public PooledBufferWriter(int initialCapacity, ArrayPool<byte> pool, bool willFill = false)
    {
        _pool = pool ?? throw new ArgumentNullException(nameof(pool));
        _buffer = BufferPool.RentFrom(_pool, Math.Max(initialCapacity, 256), willFill);
    }

    /// <summary>The bytes written so far.</summary>
    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _written);

    /// <summary>The bytes written so far.</summary>
    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _written);

    /// <summary>How many bytes were written.</summary>
    public int WrittenCount => _written;

    /// <summary>Forgets what was written, keeping the buffer.</summary>
    public void Reset() => _written = 0;

    /// <inheritdoc />
    public void Advance(int count)
    {
        if (count < 0 || _written + count > _buffer.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(count));
        }

        _written += count;
    }

    /// <inheritdoc />
    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    /// <inheritdoc />
    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        var buffer = _buffer;
        _buffer = [];
        _written = 0;
        if (buffer.Length > 0)
        {
            _pool.Return(buffer);
        }
    }

    private void Ensure(int sizeHint)
    {
        sizeHint = Math.Max(sizeHint, 1);
        if (_buffer.Length - _written >= sizeHint)
        {
            return;
        }

        var bigger = _pool.Rent(Math.Max(_buffer.Length * 2, _written + sizeHint));
        _buffer.AsSpan(0, _written).CopyTo(bigger);
        if (_buffer.Length > 0)
        {
            _pool.Return(_buffer);
        }

        _buffer = bigger;
    }
}
