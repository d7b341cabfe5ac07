using System.Runtime.InteropServices;

namespace Backup.Cli;

/// <summary>
/// Standard output for binary data (dump). The console's own stream drops a write to a pipe whose reader has gone
/// (EPIPE) without a word, so `backup dump | ssh host 'cat > x.tar'` with a dying ssh exited 0 with the archive cut
/// short. This one calls write(2) on descriptor 1 itself: at the descriptor's own offset (a FileStream would pwrite at
/// a position of its own, and `{ dump a; dump b; } > out` overwrote the first dump), waiting when a pipe it inherited
/// non-blocking is full, and failing on every other error with a <see cref="StandardOutputWriteException"/>.
/// </summary>
internal sealed partial class StandardOutput : Stream
{
    private const int Interrupted = 4; // EINTR
    private const int WouldBlock = 11; // EAGAIN
    private const short PollOut = 4;

    private StandardOutput()
    {
    }

    /// <summary>Opens the process's standard output.</summary>
    public static Stream Open() => OperatingSystem.IsWindows() ? Console.OpenStandardOutput() : new StandardOutput();

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

    public override unsafe void Write(ReadOnlySpan<byte> buffer)
    {
        fixed (byte* start = buffer)
        {
            var done = 0;
            while (done < buffer.Length)
            {
                var written = write(1, start + done, (nuint)(buffer.Length - done));
                if (written >= 0)
                {
                    done += (int)written;
                    continue;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno == WouldBlock)
                {
                    var wait = new PollFd { Fd = 1, Events = PollOut };
                    _ = poll(&wait, 1, -1);
                }
                else if (errno != Interrupted)
                {
                    throw new StandardOutputWriteException(errno, Marshal.GetPInvokeErrorMessage(errno));
                }
            }
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        Write(buffer.AsSpan(offset, count));
        return Task.CompletedTask;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        // A blocking write, as the console stream's: the dump has nothing else to do meanwhile.
        cancellationToken.ThrowIfCancellationRequested();
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial nint write(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int poll(PollFd* fds, nuint count, int timeout);

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Returned;
    }
}
