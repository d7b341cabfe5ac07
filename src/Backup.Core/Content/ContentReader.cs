using System.Threading.Channels;
using Backup.Core.Buffers;
using Backup.Core.Repository;
using Backup.Core.Repository.Blobs;
using Backup.Core.Snapshots;

namespace Backup.Core.Content;

/// <summary>
/// Reads a file's content back from a repository: chunks stored close together in one pack are fetched with one
/// range read, several such runs are fetched and decoded ahead in parallel, each chunk is checked against its ID,
/// and the chunks are written in order. Memory is bounded by the read-ahead.
/// </summary>
public sealed class ContentReader
{
    // A run is one range read: up to this many stored bytes, decoding to at most this many plaintext bytes (a single
    // larger chunk is a run of its own), so a file in flight holds a few MiB whatever its size.
    private const int MaxRunStoredBytes = 8 * 1024 * 1024;
    private const long MaxRunRawBytes = 4 * 1024 * 1024;
    private readonly BlobStore _blobs;
    private readonly int _readAhead;
    private readonly PackBatchReader? _batches;

    /// <summary>
    /// Reads from <paramref name="blobs"/>, decoding up to <paramref name="readAhead"/> chunks at once; chunks that
    /// <paramref name="batches"/> planned come from the packs it fetches (others are read as usual).
    /// </summary>
    internal ContentReader(BlobStore blobs, int readAhead = 4, PackBatchReader? batches = null)
    {
        _blobs = blobs ?? throw new ArgumentNullException(nameof(blobs));
        ArgumentOutOfRangeException.ThrowIfLessThan(readAhead, 1);
        _readAhead = readAhead;
        _batches = batches;
    }

    /// <summary>Writes the content of <paramref name="node"/> to <paramref name="destination"/>.</summary>
    /// <exception cref="RepositoryCorruptException">A chunk is missing, damaged or altered.</exception>
    public Task CopyToAsync(TreeNode node, Stream destination, CancellationToken cancellationToken = default) =>
        CopyToAsync(node.Content ?? [], (chunk, ct) => destination.WriteAsync(chunk, ct), cancellationToken);

    /// <summary>Hands the chunks of <paramref name="content"/>, in order, to <paramref name="write"/>; each buffer is valid only during its call.</summary>
    /// <exception cref="RepositoryCorruptException">A chunk is missing, damaged or altered.</exception>
    public async Task CopyToAsync(IReadOnlyList<BlobId> content, Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> write, CancellationToken cancellationToken = default)
    {
        if (content.Count == 0)
        {
            return;
        }

        if (_batches is { } batches)
        {
            await CopyPlannedAsync(batches, content, write, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (content.Count == 1)
        {
            var length = _blobs.Index.TryGet(content[0], out var location) ? (int)location.RawLength : 4096;
            using var single = new PooledBufferWriter(length, _blobs.BufferPool, willFill: true);
            await _blobs.ReadBlobAsync(content[0], single, cancellationToken).ConfigureAwait(false);
            await write(single.WrittenMemory, cancellationToken).ConfigureAwait(false);
            return;
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var pending = Channel.CreateBounded<Task<PooledBufferWriter[]>>(new BoundedChannelOptions(_readAhead) { SingleReader = true, SingleWriter = true });
        var producer = Task.Run(async () =>
        {
            try
            {
                foreach (var run in Runs(content))
                {
                    await pending.Writer.WriteAsync(FetchAsync(content, run, stop.Token), stop.Token).ConfigureAwait(false);
                }
            }
            finally
            {
                pending.Writer.TryComplete();
            }
        }, stop.Token);

        try
        {
            await foreach (var fetch in pending.Reader.ReadAllAsync(stop.Token).ConfigureAwait(false))
            {
                var chunks = await fetch.ConfigureAwait(false);
                try
                {
                    foreach (var chunk in chunks)
                    {
                        await write(chunk.WrittenMemory, stop.Token).ConfigureAwait(false);
                    }
                }
                finally
                {
                    Dispose(chunks);
                }
            }

            await producer.ConfigureAwait(false);
        }
        catch
        {
            await stop.CancelAsync().ConfigureAwait(false);
            while (pending.Reader.TryRead(out var orphan))
            {
                try
                {
                    Dispose(await orphan.ConfigureAwait(false));
                }
                catch (Exception)
                {
                    // Already failing; the first error is the one reported.
                }
            }

            throw;
        }
    }

    /// <summary>
    /// Hands the chunks over from the packs <paramref name="batches"/> fetched, decoding up to the read-ahead of the
    /// following chunks while one is written; a chunk it does not hold is read alone.
    /// </summary>
    private async Task CopyPlannedAsync(PackBatchReader batches, IReadOnlyList<BlobId> content, Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> write, CancellationToken cancellationToken)
    {
        if (content.Count == 1)
        {
            using var single = await DecodePlannedAsync(batches, content[0], cancellationToken).ConfigureAwait(false);
            await write(single.WrittenMemory, cancellationToken).ConfigureAwait(false);
            return;
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var ahead = new Queue<Task<PooledBufferWriter>>(_readAhead + 1);
        var next = 0;
        try
        {
            while (next < content.Count || ahead.Count > 0)
            {
                while (next < content.Count && ahead.Count <= _readAhead)
                {
                    var id = content[next++];
                    ahead.Enqueue(Task.Run(() => DecodePlannedAsync(batches, id, stop.Token), stop.Token));
                }

                using var chunk = await ahead.Dequeue().ConfigureAwait(false);
                await write(chunk.WrittenMemory, stop.Token).ConfigureAwait(false);
            }
        }
        catch
        {
            await stop.CancelAsync().ConfigureAwait(false);
            while (ahead.TryDequeue(out var orphan))
            {
                try
                {
                    (await orphan.ConfigureAwait(false)).Dispose();
                }
                catch (Exception)
                {
                    // Already failing; the first error is the one reported.
                }
            }

            throw;
        }
    }

    private async Task<PooledBufferWriter> DecodePlannedAsync(PackBatchReader batches, BlobId id, CancellationToken cancellationToken)
    {
        var chunk = new PooledBufferWriter(_blobs.Index.TryGet(id, out var location) ? (int)Math.Max(location.RawLength, 256) : 4096, _blobs.BufferPool, willFill: true);
        try
        {
            if (!await batches.TryReadAsync(id, chunk, cancellationToken).ConfigureAwait(false))
            {
                chunk.Reset();
                await _blobs.ReadBlobAsync(id, chunk, cancellationToken).ConfigureAwait(false);
            }

            return chunk;
        }
        catch
        {
            chunk.Dispose();
            throw;
        }
    }

    private static void Dispose(PooledBufferWriter?[] buffers)
    {
        foreach (var buffer in buffers)
        {
            buffer?.Dispose();
        }
    }

    /// <summary>Splits <paramref name="content"/> into runs of chunks that one range read of a pack covers.</summary>
    private IEnumerable<Run> Runs(IReadOnlyList<BlobId> content)
    {
        var start = 0;
        while (start < content.Count)
        {
            if (!_blobs.Index.TryGet(content[start], out var first))
            {
                yield return new Run(start, []); // read alone, which reports the missing blob
                start++;
                continue;
            }

            // Chunks of one file sit close together in a pack, though not always in order or alone (parallel encoders
            // and other files in flight interleave): a run takes the next chunks while one range covering them all
            // stays within the limits and at most a fifth of it is other data.
            var locations = new List<BlobLocation> { first };
            long low = first.Offset, high = (long)first.Offset + first.Length, useful = first.Length, raw = first.RawLength;
            while (start + locations.Count < content.Count
                && _blobs.Index.TryGet(content[start + locations.Count], out var next)
                && next.Pack == first.Pack)
            {
                var newLow = Math.Min(low, next.Offset);
                var newHigh = Math.Max(high, (long)next.Offset + next.Length);
                var newUseful = useful + next.Length;
                if (newHigh - newLow > MaxRunStoredBytes || raw + next.RawLength > MaxRunRawBytes || (newHigh - newLow - newUseful) * 5 > newHigh - newLow)
                {
                    break;
                }

                locations.Add(next);
                (low, high, useful, raw) = (newLow, newHigh, newUseful, raw + next.RawLength);
            }

            yield return new Run(start, [.. locations]);
            start += locations.Count;
        }
    }

    private async Task<PooledBufferWriter[]> FetchAsync(IReadOnlyList<BlobId> content, Run run, CancellationToken cancellationToken)
    {
        await Task.Yield();
        if (run.Locations.Length == 0)
        {
            // Not in the index (yet): read alone, which looks again and names the blob if it is still missing.
            var single = new PooledBufferWriter(4096, _blobs.BufferPool);
            try
            {
                await _blobs.ReadBlobAsync(content[run.Start], single, cancellationToken).ConfigureAwait(false);
                return [single];
            }
            catch
            {
                single.Dispose();
                throw;
            }
        }

        var low = run.Locations.Min(l => l.Offset);
        var length = run.Locations.Max(l => (long)l.Offset + l.Length) - low;
        using var stored = await _blobs.ReadStoredAsync(content[run.Start], run.Locations[0] with { Offset = low }, (int)length, cancellationToken).ConfigureAwait(false);
        var chunks = new PooledBufferWriter?[run.Locations.Length];
        try
        {
            for (var i = 0; i < chunks.Length; i++)
            {
                var location = run.Locations[i];
                chunks[i] = new PooledBufferWriter((int)Math.Max(location.RawLength, 256), _blobs.BufferPool, willFill: true);
                _blobs.DecodeBlob(content[run.Start + i], stored.Span.Slice((int)(location.Offset - low), (int)location.Length), location.RawLength, chunks[i]!);
            }

            return chunks!;
        }
        catch
        {
            Dispose(chunks);
            throw;
        }
    }

    /// <summary>Chunks <c>Start</c>.. of a file, stored at <c>Locations</c> in one pack (empty: read the one chunk alone).</summary>
    private readonly record struct Run(int Start, BlobLocation[] Locations);
}
