using Backup.Core.Native;
using Microsoft.Win32.SafeHandles;

namespace Backup.Core.Restore;

/// <summary>
/// A file being restored, written at explicit offsets so holes can be skipped: a libc handle on the real Linux file
/// system (no advisory lock, no position to keep, no buffer), a stream from <see cref="System.IO.Abstractions.IFileSystem"/> otherwise.
/// </summary>
internal abstract class RestoreFile : IDisposable
{
    private long _end;

    /// <summary>Writes <paramref name="data"/> at <paramref name="offset"/>.</summary>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, long offset, CancellationToken cancellationToken)
    {
        await WriteAtAsync(data, offset, cancellationToken).ConfigureAwait(false);
        _end = Math.Max(_end, offset + data.Length);
    }

    /// <summary>Makes the file <paramref name="length"/> bytes long when its last bytes were a hole that nothing wrote.</summary>
    public void EnsureLength(long length)
    {
        if (_end != length)
        {
            SetLength(length);
        }
    }

    /// <inheritdoc />
    public abstract void Dispose();

    /// <summary>Reads back what was written at <paramref name="offset"/>: as many bytes as there are, up to the length of <paramref name="buffer"/>, 0 at the end.</summary>
    public abstract int ReadBack(Span<byte> buffer, long offset);

    protected abstract ValueTask WriteAtAsync(ReadOnlyMemory<byte> data, long offset, CancellationToken cancellationToken);

    protected abstract void SetLength(long length);

    /// <summary>A file opened through libc.</summary>
    internal sealed class Native(SafeFileHandle handle) : RestoreFile
    {
        private SafeFileHandle? _reader;

        public SafeFileHandle Handle => handle;

        public override void Dispose()
        {
            _reader?.Dispose();
            handle.Dispose();
        }

        // The file was created write-only; a second descriptor of the same inode (never its path, which someone may
        // have swapped since) reads it back. Its data goes to the device and leaves the page cache first, so what is
        // read is what the device holds, not what the restore handed to the kernel.
        public override int ReadBack(Span<byte> buffer, long offset)
        {
            if (_reader is null)
            {
                var errno = UnixNative.SyncAndDropCache(handle);
                if (errno != 0)
                {
                    throw new IOException($"the restored file could not be written to its device: {UnixNative.Describe(errno)}", errno);
                }

                _reader = UnixNative.ReopenForReading(handle) ?? throw new IOException("the restored file could not be opened again to read it back");
            }

            return RandomAccess.Read(_reader, buffer, offset);
        }

        // A write to the page cache is a memory copy: queueing it to another pool thread (what WriteAsync does with
        // a synchronous handle) only adds a hop.
        protected override ValueTask WriteAtAsync(ReadOnlyMemory<byte> data, long offset, CancellationToken cancellationToken)
        {
            RandomAccess.Write(handle, data.Span, offset);
            return ValueTask.CompletedTask;
        }

        protected override void SetLength(long length) => RandomAccess.SetLength(handle, length);

        /// <summary>Fills the (still empty) file with the first <paramref name="length"/> bytes of <paramref name="source"/>, inside the kernel.</summary>
        /// <returns>Whether it did; when not, the file is empty again.</returns>
        public bool TryCopyFrom(SafeFileHandle source, long length, CancellationToken cancellationToken)
        {
            // In pieces, so a cancellation is not held up by a large file on a file system that cannot share extents.
            const long Piece = 64 * 1024 * 1024;
            long offset = 0;
            while (offset < length)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var copied = UnixNative.CopyFileRange(source, handle, offset, Math.Min(Piece, length - offset));
                if (copied <= 0)
                {
                    // A copy that failed (or found the source shorter) must not leave bytes the decoded content would not overwrite.
                    SetLength(0);
                    return false;
                }

                offset += copied;
            }

            _end = length;
            return true;
        }
    }

    /// <summary>A file opened through a (possibly simulated) file system.</summary>
    internal sealed class Streamed(Stream stream) : RestoreFile
    {
        public override void Dispose() => stream.Dispose();

        public override int ReadBack(Span<byte> buffer, long offset)
        {
            stream.Seek(offset, SeekOrigin.Begin);
            return stream.Read(buffer);
        }

        protected override async ValueTask WriteAtAsync(ReadOnlyMemory<byte> data, long offset, CancellationToken cancellationToken)
        {
            if (stream.Position != offset)
            {
                stream.Seek(offset, SeekOrigin.Begin);
            }

            await stream.WriteAsync(data, cancellationToken).ConfigureAwait(false);
        }

        protected override void SetLength(long length) => stream.SetLength(length);
    }
}
