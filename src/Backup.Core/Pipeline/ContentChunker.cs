using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Backup.Core.Chunking;

namespace Backup.Core.Pipeline;

/// <summary>
/// Cuts the bytes of a <see cref="PipeReader"/> into content-defined chunks. Each chunk is handed out as a
/// window into a reused buffer, valid only until the next one is asked for: hashing needs no copy, and only new
/// chunks are copied, by the writer that keeps them.
/// </summary>
public static class ContentChunker
{
    /// <summary>Room beyond one maximum chunk: how much can be read between two moves of the unread bytes.</summary>
    private const int ReadRoom = 1024 * 1024;

    /// <summary>The least free space worth a read.</summary>
    private const int MinimumRead = 64 * 1024;

    /// <summary>Yields the chunks of <paramref name="reader"/>, completing the reader at the end.</summary>
    /// <param name="reader">The content.</param>
    /// <param name="chunker">Where to cut.</param>
    /// <param name="sizeHint">The expected content size, to avoid renting a large window for a small file; 0 when unknown.</param>
    /// <param name="pool">Where the window comes from; the shared pool when null.</param>
    /// <param name="cancellationToken">Stops reading.</param>
    public static async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadChunksAsync(PipeReader reader, FastCdcChunker chunker, long sizeHint = 0, ArrayPool<byte>? pool = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        pool ??= ArrayPool<byte>.Shared;
        var max = chunker.Options.MaxSize;

        // A boundary the chunker finds before the end of what it was shown is final (the scan runs left to right),
        // so it is shown a couple of average chunks at a time, and the whole maximum only when none was found.
        // The window therefore needs little room beyond one maximum chunk, and what is moved to its front when it
        // fills is usually short: memory and copying both stay well below a window of twice the maximum.
        var lookahead = (int)Math.Min(max, 2L * chunker.Options.AverageSize);
        var capacity = max + ReadRoom;
        var window = pool.Rent(sizeHint > 0 && sizeHint < max ? (int)sizeHint + 1 : capacity);
        var start = 0;
        var end = 0;
        var completed = false;
        var need = lookahead;
        try
        {
            while (true)
            {
                while (!completed && end - start < need)
                {
                    // A window sized for a small file is read into to its last byte, so its end of data shows
                    // without a larger window. A large one is compacted once a read-room's worth has been consumed
                    // (moving the couple of MiB not yet cut), so only its first few MiB are ever touched, or sooner
                    // when the room left gets small.
                    var room = Math.Min(window.Length, capacity) - end;
                    if (room == 0 || (start > 0 && (room < MinimumRead || start >= ReadRoom)))
                    {
                        window = MakeRoom(window, ref start, ref end, capacity, pool);
                    }

                    var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                    var buffer = result.Buffer;
                    var take = (int)Math.Min(buffer.Length, Math.Min(window.Length, capacity) - end);
                    buffer.Slice(0, take).CopyTo(window.AsSpan(end));
                    end += take;
                    var consumed = buffer.GetPosition(take);
                    reader.AdvanceTo(consumed, take == buffer.Length ? buffer.End : consumed);
                    completed = result.IsCompleted && take == buffer.Length;
                }

                if (end == start)
                {
                    yield break;
                }

                var available = end - start;
                var cut = chunker.NextBoundary(window.AsSpan(start, available));
                if (cut == available && available < max && !completed)
                {
                    need = max; // no boundary in sight yet: look at up to a whole maximum chunk
                    continue;
                }

                need = lookahead;
                yield return window.AsMemory(start, cut);
                start += cut;
            }
        }
        finally
        {
            pool.Return(window);
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Moves the unread bytes to the front of the window, into a larger window when they would not leave room to read.</summary>
    private static byte[] MakeRoom(byte[] window, ref int start, ref int end, int capacity, ArrayPool<byte> pool)
    {
        var pending = end - start;
        var target = window;
        if (Math.Min(window.Length, capacity) - pending < MinimumRead)
        {
            target = pool.Rent(Math.Max(capacity, pending + MinimumRead));
        }

        Buffer.BlockCopy(window, start, target, 0, pending);
        if (!ReferenceEquals(target, window))
        {
            pool.Return(window);
        }

        start = 0;
        end = pending;
        return target;
    }
}
