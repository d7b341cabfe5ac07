using System.Buffers;
using System.IO.Pipelines;

namespace Backup.Providers.MySql;

/// <summary>
/// Copies many small writes into one block of a <see cref="PipeWriter"/>'s memory and commits the block when the next
/// write does not fit or on <see cref="FlushAsync"/>. A <see cref="Pipe"/> takes a lock on every commit, which for rows
/// of a hundred bytes, written as three pieces each, cost more than copying them.
/// </summary>
internal sealed class BatchedPipeWriter(PipeWriter writer)
{
    private const int BlockSize = 64 * 1024;

    private Memory<byte> _block;
    private int _used;

    /// <summary>Appends <paramref name="bytes"/>; they reach the reader with the next <see cref="FlushAsync"/>.</summary>
    public void Write(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > BlockSize)
        {
            // A large value (a BLOB as hex) goes in the pipe's own segments rather than one block of its size.
            Commit();
            writer.Write(bytes);
            return;
        }

        if (_block.Length - _used < bytes.Length)
        {
            Commit();
            _block = writer.GetMemory(BlockSize);
        }

        bytes.CopyTo(_block.Span[_used..]);
        _used += bytes.Length;
    }

    /// <summary>Commits what was written and flushes the pipe; true when the reader has stopped reading.</summary>
    public async ValueTask<bool> FlushAsync(CancellationToken cancellationToken)
    {
        Commit();
        return (await writer.FlushAsync(cancellationToken).ConfigureAwait(false)).IsCompleted;
    }

    private void Commit()
    {
        if (_used > 0)
        {
            writer.Advance(_used);
        }

        _block = default;
        _used = 0;
    }
}
