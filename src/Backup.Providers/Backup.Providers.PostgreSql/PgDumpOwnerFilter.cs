using System.Buffers;
using System.Text;

namespace Backup.Providers.PostgreSql;

/// <summary>
/// A pg_dump plain dump on its way to psql without its ownership statements (<c>ALTER TABLE public.t OWNER TO
/// postgres;</c>), as pg_restore <c>--no-owner</c> leaves them out of the other formats, so that a role that is not a
/// member of the owners' roles (a scratch role, a least-privileged drill role) can restore it. pg_dump writes each on
/// a line of its own between blank lines; lines of COPY data are never looked at, and a line is held back only while
/// it may be one (its end, and the next line, which must be blank).
/// </summary>
internal sealed class PgDumpOwnerFilter(Stream inner) : Stream
{
    /// <summary>The longest line looked at; longer ones (rows of COPY data, long statements) pass as they come.</summary>
    private const int HoldLimit = 64 * 1024;

    private readonly ArrayBufferWriter<byte> _line = new(1024);
    private readonly ArrayBufferWriter<byte> _output = new(64 * 1024);
    private byte[]? _candidate;
    private bool _passThrough;
    private bool _inCopy;
    private int _blankLines;
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

    /// <summary>Passes on what is held back (a last line without its line end), then closes the inner stream.</summary>
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
                // Too long to be a statement of interest: what is held goes on, and the rest of the line streams.
                Release();
                _output.Write(_line.WrittenSpan);
                _output.Write(piece);
                _line.ResetWrittenCount();
                _blankLines = 0;
                _passThrough = newline < 0;
                continue;
            }

            _line.Write(piece);
            if (newline >= 0)
            {
                Line(_line.WrittenSpan);
                _line.ResetWrittenCount();
            }
        }
    }

    private void Line(ReadOnlySpan<byte> line)
    {
        var text = line.TrimEnd("\r\n"u8);
        if (_inCopy)
        {
            _output.Write(line);
            _inCopy = !text.SequenceEqual("\\."u8);
            return;
        }

        var blank = text.IsEmpty;
        if (_candidate is not null)
        {
            if (!blank)
            {
                _output.Write(_candidate);
            }

            _candidate = null;
        }

        if (blank)
        {
            _output.Write(line);
            _blankLines = Math.Min(_blankLines + 1, 2);
            return;
        }

        if (_blankLines == 2 && text.StartsWith("ALTER "u8) && PostgreSqlRestorer.OwnerStatement().IsMatch(Encoding.UTF8.GetString(text)))
        {
            _candidate = line.ToArray();
            _blankLines = 0;
            return;
        }

        _blankLines = 0;
        _inCopy = text.StartsWith("COPY "u8) && text.EndsWith(" FROM stdin;"u8);
        _output.Write(line);
    }

    private void Release()
    {
        if (_candidate is not null)
        {
            _output.Write(_candidate);
            _candidate = null;
        }
    }

    private void Finish()
    {
        Release();
        _output.Write(_line.WrittenSpan);
        _line.ResetWrittenCount();
    }
}
