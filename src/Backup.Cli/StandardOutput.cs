using Microsoft.Win32.SafeHandles;

namespace Backup.Cli;

/// <summary>
/// Standard output for binary data (dump). The console's own stream drops a write to a pipe whose reader has gone
/// (EPIPE) without a word, so `backup dump | ssh host 'cat > x.tar'` with a dying ssh exited 0 with the archive cut
/// short; this one writes to the descriptor itself, and every failed write names standard output.
/// </summary>
internal sealed class StandardOutput : Stream
{
    private readonly Stream _inner;

    private StandardOutput(Stream inner) => _inner = inner;

    /// <summary>Opens the process's standard output.</summary>
    public static Stream Open() =>
        new StandardOutput(OperatingSystem.IsWindows() ? Console.OpenStandardOutput() : new FileStream(new SafeFileHandle(1, ownsHandle: false), FileAccess.Write, bufferSize: 0));

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        try
        {
            _inner.Write(buffer);
        }
        catch (IOException ex)
        {
            throw Failed(ex);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            await _inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            throw Failed(ex);
        }
    }

    public override void Flush()
    {
        try
        {
            _inner.Flush();
        }
        catch (IOException ex)
        {
            throw Failed(ex);
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>The error with what it was written to; the errno stays (a full disk is still exit 13).</summary>
    private static IOException Failed(IOException ex) =>
        new($"Could not write to standard output: {ex.Message}{(ex.HResult == 32 ? " (whatever read it stopped reading; the output is incomplete)" : string.Empty)}", ex) { HResult = ex.HResult };
}
