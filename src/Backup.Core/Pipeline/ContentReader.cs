using System.Threading.Channels;
using Backup.Core.Buffers;
using Backup.Core.Repository;
using Backup.Core.Snapshots;

namespace Backup.Core.Pipeline;

/// <summary>
/// Reads a file's content back from a repository: several chunks are fetched and decoded ahead in parallel,
/// each checked against its ID, and written in order. Memory is bounded by the read-ahead.
/// </summary>
public sealed class ContentReader
{
    private readonly BackupRepository _repository;
    private readonly int _readAhead;

    /// <summary>Reads from <paramref name="repository"/>, decoding up to <paramref name="readAhead"/> chunks at once.</summary>
    public ContentReader(BackupRepository repository, int readAhead = 4)
    {
        _repository = repository ?? throw new ArgumentNullException(nameof(repository));
        ArgumentOutOfRangeException.ThrowIfLessThan(readAhead, 1);
        _readAhead = readAhead;
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

        if (content.Count == 1)
        {
            using var single = new PooledBufferWriter(4096, _repository.BufferPool);
            await _repository.ReadBlobAsync(content[0], single, cancellationToken).ConfigureAwait(false);
            await write(single.WrittenMemory, cancellationToken).ConfigureAwait(false);
            return;
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var pending = Channel.CreateBounded<Task<PooledBufferWriter>>(new BoundedChannelOptions(_readAhead) { SingleReader = true, SingleWriter = true });
        var producer = Task.Run(async () =>
        {
            try
            {
                foreach (var id in content)
                {
                    await pending.Writer.WriteAsync(FetchAsync(id, stop.Token), stop.Token).ConfigureAwait(false);
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
                using var chunk = await fetch.ConfigureAwait(false);
                await write(chunk.WrittenMemory, stop.Token).ConfigureAwait(false);
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

    private async Task<PooledBufferWriter> FetchAsync(BlobId id, CancellationToken cancellationToken)
    {
        var buffer = new PooledBufferWriter(4096, _repository.BufferPool);
        try
        {
            await Task.Yield();
            await _repository.ReadBlobAsync(id, buffer, cancellationToken).ConfigureAwait(false);
            return buffer;
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }
}
