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
        var initial = sizeHint > 0 && sizeHint < max ? (int)sizeHint + 1 : 2 * max;
        var window = pool.Rent(initial);
        var start = 0;
        var end = 0;
        var completed = false;
        try
        {
            while (true)
            {
                while (!completed && end - start < max)
                {
                    if (window.Length - end < 64 * 1024 || window.Length - start < max)
                    {
                        window = MakeRoom(window, ref start, ref end, max, pool);
                    }

                    var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                    var buffer = result.Buffer;
                    var take = (int)Math.Min(buffer.Length, window.Length - end);
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

                var cut = chunker.NextBoundary(window.AsSpan(start, end - start));
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

    private static byte[] MakeRoom(byte[] window, ref int start, ref int end, int max, ArrayPool<byte> pool)
    {
        var pending = end - start;
        var target = window;
        if (window.Length < pending + max + 64 * 1024)
        {
            target = pool.Rent(Math.Max(2 * max, pending + max + 64 * 1024));
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
