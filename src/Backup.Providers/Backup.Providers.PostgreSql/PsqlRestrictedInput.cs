using System.Buffers;
using System.Text;

namespace Backup.Providers.PostgreSql;

/// <summary>
/// The standard input of a psql that restores a plain dump, with psql's meta-commands switched off: it starts with
/// <c>\restrict KEY</c>, a key drawn for this restore that nothing in the dump can know, so psql refuses every
/// backslash command after it (<c>\!</c> runs a shell command, <c>\o |cmd</c> and <c>\copy … program</c> too,
/// <c>\set ON_ERROR_STOP</c> would let a failure pass, <c>\connect</c> would change the database) and the restore
/// fails on the first one. SQL and COPY data pass unchanged.
/// </summary>
/// <remarks>
/// pg_dump 13.22, 14.19, 15.14, 16.10, 17.6 and later write their own <c>\restrict K</c> after the opening comment
/// block and <c>\unrestrict K</c> at the end; psql refuses to nest them, so that one pair is removed: a
/// <c>\restrict</c> line before any statement, and a line that is exactly <c>\unrestrict</c> with the same key. A
/// dump that removes or changes the pair gains nothing, since the restriction in force is this one. Only lines
/// that start with a backslash are looked at (and held back at most <see cref="LineLimit"/> bytes), so the dump
/// streams through otherwise untouched.
/// </remarks>
internal sealed class PsqlRestrictedInput : Stream
{
    /// <summary>The longest line that is held back to be looked at; pg_dump's keys are 64 characters.</summary>
    private const int LineLimit = 256;

    private readonly Stream _inner;
    private readonly byte[] _preamble;
    private readonly ArrayBufferWriter<byte> _output = new(64 * 1024);
    private readonly byte[] _line = new byte[LineLimit];
    private byte[]? _held;
    private int _heldLength;
    private bool _atLineStart = true;
    private bool _beforeFirstStatement = true;
    private bool _started;
    private string? _dumpKey;
    private bool _closed;

    public PsqlRestrictedInput(Stream inner, string key)
    {
        _inner = inner;
        _preamble = Encoding.ASCII.GetBytes($"\\restrict {key}\n");
    }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Filter(buffer.Span);
        await _inner.WriteAsync(_output.WrittenMemory, cancellationToken).ConfigureAwait(false);
        _output.ResetWrittenCount();
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count)
    {
        Filter(buffer.AsSpan(offset, count));
        _inner.Write(_output.WrittenSpan);
        _output.ResetWrittenCount();
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

    public override void Flush() => _inner.Flush();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>Writes the preamble if nothing was written and a last line held back without its line end, then closes psql's input.</summary>
    public override async ValueTask DisposeAsync()
    {
        if (_closed)
        {
            return;
        }

        _closed = true;
        try
        {
            await _inner.WriteAsync(TakeUnfinishedLine()).ConfigureAwait(false);
            await _inner.FlushAsync().ConfigureAwait(false);
        }
        finally
        {
            await _inner.DisposeAsync().ConfigureAwait(false);
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
                _inner.Write(TakeUnfinishedLine().Span);
            }
            finally
            {
                _inner.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    /// <summary>Appends what psql gets of <paramref name="data"/> to the output buffer.</summary>
    private void Filter(ReadOnlySpan<byte> data)
    {
        if (!_started)
        {
            _output.Write(_preamble);
            _started = true;
        }

        while (!data.IsEmpty)
        {
            if (_held is not null)
            {
                // A line that starts with a backslash: collect it to its end, unless it is too long to matter.
                var end = data.IndexOf((byte)'\n');
                var take = end < 0 ? data.Length : end;
                if (_heldLength + take > LineLimit)
                {
                    _output.Write(_held.AsSpan(0, _heldLength));
                    _held = null;
                    _beforeFirstStatement = false;
                    continue;
                }

                data[..take].CopyTo(_held.AsSpan(_heldLength));
                _heldLength += take;
                data = data[take..];
                if (end >= 0)
                {
                    data = data[1..];
                    var line = _held.AsSpan(0, _heldLength);
                    _held = null;
                    _atLineStart = true;
                    if (Keep(line))
                    {
                        _output.Write(line);
                        _output.Write("\n"u8);
                    }
                }

                continue;
            }

            if (_atLineStart)
            {
                _atLineStart = false;
                if (data[0] == (byte)'\\')
                {
                    _held = _line;
                    _heldLength = 0;
                    continue;
                }

                // Comments and blank lines may precede pg_dump's own \restrict; anything else is a statement.
                if (data[0] is not ((byte)'-' or (byte)'\n' or (byte)'\r'))
                {
                    _beforeFirstStatement = false;
                }
            }

            // The rest of a line that is kept as it is.
            var newline = data.IndexOf((byte)'\n');
            var length = newline < 0 ? data.Length : newline + 1;
            _output.Write(data[..length]);
            data = data[length..];
            _atLineStart = newline >= 0;
        }
    }

    /// <summary>Whether a complete line that starts with a backslash goes to psql (all do but the dump's own restrict pair).</summary>
    private bool Keep(ReadOnlySpan<byte> line)
    {
        var text = Encoding.UTF8.GetString(line).TrimEnd('\r');
        if (_beforeFirstStatement && _dumpKey is null && text.StartsWith("\\restrict ", StringComparison.Ordinal) && text.Length > "\\restrict ".Length)
        {
            _dumpKey = text["\\restrict ".Length..].Trim();
            return false;
        }

        _beforeFirstStatement = false;
        return !(_dumpKey is not null && text == "\\unrestrict " + _dumpKey);
    }

    private ReadOnlyMemory<byte> TakeUnfinishedLine()
    {
        if (!_started)
        {
            _started = true;
            return _preamble;
        }

        if (_held is null)
        {
            return ReadOnlyMemory<byte>.Empty;
        }

        var rest = _held.AsMemory(0, _heldLength);
        _held = null;
        return rest;
    }
}
