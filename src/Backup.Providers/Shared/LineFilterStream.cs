using System.Buffers;

namespace Backup.Providers;

/// <summary>
/// A write-only stream that hands each line written through it (with its line end) to <see cref="OnLine"/>, which
/// writes what goes on with <see cref="Emit"/>: a dump filtered on its way to a client tool. Only lines up to
/// <see cref="HoldLimit"/> bytes are held and looked at; a longer one (a row of data) goes on as it comes, after
/// <see cref="OnLongLine"/>. Disposing passes on a last line without a line end and closes the inner stream.
/// </summary>
internal abstract class LineFilterStream(Stream inner) : Stream
{
    /// <summary>The longest line looked at.</summary>
    protected const int HoldLimit = 64 * 1024;

    private readonly ArrayBufferWriter<byte> _line = new(1024);
    private readonly ArrayBufferWriter<byte> _output = new(64 * 1024);
    private bool _passThrough;
    private bool _closed;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Filter(buffer.Span);
        await inner.WriteAsync(_output.WrittenMemory, cancellationToken).ConfigureAwait(false);
        _output.ResetWrittenCount();
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count)
    {
        Filter(buffer.AsSpan(offset, count));
        inner.Write(_output.WrittenSpan);
        _output.ResetWrittenCount();
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override void Flush() => inner.Flush();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override async ValueTask DisposeAsync()
    {
        if (_closed)
        {
            return;
        }

        _closed = true;
        try
        {
            Finish();
            await inner.WriteAsync(_output.WrittenMemory).ConfigureAwait(false);
            await inner.FlushAsync().ConfigureAwait(false);
        }
        finally
        {
            await inner.DisposeAsync().ConfigureAwait(false);
            await base.DisposeAsync().ConfigureAwait(false);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_closed)
        {
            _closed = true;
            try
            {
                Finish();
                inner.Write(_output.WrittenSpan);
            }
            finally
            {
                inner.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    /// <summary>One line of at most <see cref="HoldLimit"/> bytes, with its line end (none for a last line without one).</summary>
    protected abstract void OnLine(ReadOnlySpan<byte> line);

    /// <summary>A line longer than <see cref="HoldLimit"/> starts; its bytes go on unchanged after what this emits.</summary>
    /// <param name="start">The line's first bytes (at least one).</param>
    protected abstract void OnLongLine(ReadOnlySpan<byte> start);

    /// <summary>Writes <paramref name="bytes"/> on.</summary>
    protected void Emit(ReadOnlySpan<byte> bytes) => _output.Write(bytes);

    private void Filter(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            var newline = data.IndexOf((byte)'\n');
            var piece = newline < 0 ? data : data[..(newline + 1)];
            data = data[piece.Length..];
            if (_passThrough)
            {
                _output.Write(piece);
                _passThrough = newline < 0;
                continue;
            }

            if (_line.WrittenCount + piece.Length > HoldLimit)
            {
                OnLongLine(_line.WrittenCount > 0 ? _line.WrittenSpan : piece);
                _output.Write(_line.WrittenSpan);
                _output.Write(piece);
                _line.ResetWrittenCount();
                _passThrough = newline < 0;
                continue;
            }

            _line.Write(piece);
            if (newline >= 0)
            {
                OnLine(_line.WrittenSpan);
                _line.ResetWrittenCount();
            }
        }
    }

    private void Finish()
    {
        if (_line.WrittenCount > 0)
        {
            OnLine(_line.WrittenSpan);
            _line.ResetWrittenCount();
        }

        OnEnd();
    }

    /// <summary>The end of the data: emit what is still held back.</summary>
    protected virtual void OnEnd()
    {
    }
}
