using System.IO.Pipelines;
using Backup.Core.Repository;
using Backup.Core.Snapshots;

namespace Backup.Core.Content;

/// <summary>
/// A file's content as a read-only stream of known length: a <see cref="ContentReader"/> fetches and verifies
/// chunks ahead into a bounded pipe. It reports itself seekable only so consumers such as TarWriter can read
/// its length up front; it cannot actually seek.
/// </summary>
internal sealed class NodeContentStream : Stream
{
    private readonly Stream _inner;
    private readonly CancellationTokenSource _stop;
    private readonly Task _producer;
    private readonly long _length;
    private long _position;
    private bool _disposed;

    public NodeContentStream(ContentReader reader, TreeNode node, CancellationToken cancellationToken)
    {
        _length = node.Size;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 8 << 20, resumeWriterThreshold: 4 << 20));
        _inner = pipe.Reader.AsStream();
        var content = node.Content ?? [];
        var token = _stop.Token;
        _producer = Task.Run(async () =>
        {
            try
            {
                await reader.CopyToAsync(content, async (chunk, ct) => await pipe.Writer.WriteAsync(chunk, ct).ConfigureAwait(false), token).ConfigureAwait(false);
                await pipe.Writer.CompleteAsync().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                await pipe.Writer.CompleteAsync(ex).ConfigureAwait(false);
            }
        }, CancellationToken.None);
    }

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length => _length;

    public override long Position
    {
        get => _position;
        set
        {
            if (value != _position)
            {
                throw new NotSupportedException("Snapshot content is read in order only.");
            }
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var read = _inner.Read(buffer);
        return Account(read, buffer.Length);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        return Account(read, buffer.Length);
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        var target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => _length + offset,
        };
        Position = target;
        return _position;
    }

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _stop.Cancel();
            _inner.Dispose();
            try
            {
                _producer.GetAwaiter().GetResult();
            }
            catch (OperationCanceledException)
            {
                // Stopped on purpose.
            }

            _stop.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await _stop.CancelAsync().ConfigureAwait(false);
        await _inner.DisposeAsync().ConfigureAwait(false);
        try
        {
            await _producer.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopped on purpose.
        }

        _stop.Dispose();
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private int Account(int read, int requested)
    {
        _position += read;
        // A length that disagrees with the chunks would corrupt a tar archive silently; fail loudly instead.
        if ((read == 0 && requested > 0 && _position != _length) || _position > _length)
        {
            throw new InvalidDataException($"The content is {_position} bytes long, but the snapshot records {_length}.");
        }

        return read;
    }
}
