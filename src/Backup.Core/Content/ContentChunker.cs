using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Backup.Core.Chunking;
using Backup.Core.Snapshots;

namespace Backup.Core.Content;

/// <summary>
/// Cuts the bytes of a <see cref="PipeReader"/> into content-defined chunks. Each chunk is handed out as a
/// window into a reused buffer, valid only until the next one is asked for: hashing needs no copy, and only new
/// chunks are copied, by the writer that keeps them.
/// </summary>
internal static class ContentChunker
{
    /// <summary>Room beyond one maximum chunk: how much can be read between two moves of the unread bytes.</summary>
    private const int ReadRoom = 1024 * 1024;

    /// <summary>The least free space worth a read.</summary>
    private const int MinimumRead = 64 * 1024;

    /// <summary>Yields the chunks of <paramref name="reader"/>, completing the reader at the end.</summary>
    /// <param name="reader">The content.</param>
    /// <param name="chunker">Where to cut.</param>
    /// <param name="pool">
    /// Where the window comes from; the shared pool when null. Every window is one maximum chunk plus 1 MiB whatever
    /// the content's size: a long-lived pool then keeps one per reader running at once, not one per size class, and
    /// a small file touches only its own bytes of it (memory is counted by the pages touched).
    /// </param>
    /// <param name="bytesRead">
    /// Told how many bytes each read took from <paramref name="reader"/>: ahead of the chunks, which are cut only once
    /// the bytes after them have been seen. None when null.
    /// </param>
    /// <param name="cancellationToken">Stops reading.</param>
    public static async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadChunksAsync(
        PipeReader reader, FastCdcChunker chunker, ArrayPool<byte>? pool = null, Action<int>? bytesRead = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        pool ??= ArrayPool<byte>.Shared;
        var max = chunker.Options.MaxSize;

        // A boundary the chunker finds before the end of what it was shown is final (the scan runs left to right),
        // so it is shown a couple of average chunks at a time, and the whole maximum only when none was found.
        // The window therefore needs little room beyond one maximum chunk, and what is moved to its front when it
        // fills is usually short: memory and copying both stay well below a window of twice the maximum.
        var lookahead = (int)Math.Min(max, 2L * chunker.Options.AverageSize);
        var capacity = max + ReadRoom;
        var window = pool.Rent(capacity);
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
                    // The window is compacted once a read-room's worth has been consumed (moving the couple of MiB
                    // not yet cut), or sooner when the room left gets small, so only its first few MiB are ever touched.
                    if (start > 0 && (capacity - end < MinimumRead || start >= ReadRoom))
                    {
                        Compact(window, ref start, ref end);
                    }

                    var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                    var buffer = result.Buffer;
                    var take = (int)Math.Min(buffer.Length, capacity - end);
                    buffer.Slice(0, take).CopyTo(window.AsSpan(end));
                    end += take;
                    bytesRead?.Invoke(take);
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

    /// <summary>Moves the unread bytes to the front of the window; they are less than a maximum chunk, so at least the read room is then free.</summary>
    private static void Compact(byte[] window, ref int start, ref int end)
    {
        Buffer.BlockCopy(window, start, window, 0, end - start);
        end -= start;
        start = 0;
    }
}
