using System.Buffers;
using Backup.Core.Buffers;
using Backup.Core.Storage;

namespace Backup.Core.Repository.Blobs;

/// <summary>An object staged in memory, for targets that only take whole objects: committing puts the buffer.</summary>
internal sealed class BufferedStagedObject(IBackupTarget target, int capacity, ArrayPool<byte> pool) : IStagedObject
{
    private readonly PooledBufferWriter _buffer = new(capacity, pool);

    public long Length => _buffer.WrittenCount;

    public ValueTask AppendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        _buffer.Write(data.Span);
        return ValueTask.CompletedTask;
    }

    public Task CommitAsync(string key, CancellationToken cancellationToken = default) =>
        target.PutAsync(key, _buffer.WrittenMemory, cancellationToken);

    public ValueTask DisposeAsync()
    {
        _buffer.Dispose();
        return ValueTask.CompletedTask;
    }
}
