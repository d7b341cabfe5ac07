using Backup.Core.Native;
using Microsoft.Win32.SafeHandles;

namespace Backup.Core.Storage;

/// <summary>
/// Writes a new file front to back in blocks of <see cref="BlockBytes"/>, with direct I/O where <see cref="DirectIo"/>
/// allows it: two aligned blocks, one filled while the other is written, so the disk works while the caller goes on
/// as it did behind the page cache. The target syncs every new object to the disk anyway, so a copy through the page
/// cache buys nothing, and on a virtual machine that hands free memory back to its host (virtio-balloon free page
/// reporting) that copy was 11-16% of a database backup's CPU: the kernel's large page-cache folios come from memory
/// the host must supply again, 3-8 s of system time per GiB written, where direct writes took under 0.2 s
/// (docs/databases.md). Should the file system refuse a direct write, the writer goes on through the page cache; the
/// last bytes that do not fill an aligned block go through it too.
/// </summary>
internal sealed class BlockFileWriter
{
    /// <summary>The size of every write but the last.</summary>
    public const int BlockBytes = 512 * 1024;

    private readonly SafeFileHandle _handle;
    private readonly byte[] _buffer;
    private readonly int _start;
    private Task _pending = Task.CompletedTask;
    private bool _direct;
    private int _current;
    private int _used;
    private long _written;

    /// <summary>Writes to <paramref name="handle"/> (a new, empty file) through <paramref name="buffer"/>, from <see cref="NewBuffer"/>.</summary>
    public BlockFileWriter(SafeFileHandle handle, byte[] buffer)
    {
        _handle = handle;
        _buffer = buffer;
        _start = AlignedStart(buffer);
        _direct = DirectIo.TryEnable(handle);
    }

    /// <summary>The bytes appended so far.</summary>
    public long Length => _written + _used;

    /// <summary>Whether writes currently bypass the page cache.</summary>
    public bool IsDirect => _direct;

    private Memory<byte> Block => _buffer.AsMemory(_start + (_current * BlockBytes), BlockBytes);

    /// <summary>A buffer for a writer (two blocks and room to align them), pinned so the aligned blocks inside it stay where they were found.</summary>
    public static byte[] NewBuffer() => GC.AllocateUninitializedArray<byte>((2 * BlockBytes) + DirectIo.Alignment, pinned: true);

    /// <summary>Appends <paramref name="data"/>, starting the write of every block it fills; a failed write is thrown by a later call.</summary>
    public async ValueTask AppendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            var count = Math.Min(data.Length, BlockBytes - _used);
            data.Span[..count].CopyTo(Block.Span[_used..]);
            _used += count;
            data = data[count..];
            if (_used == BlockBytes)
            {
                // The other block is filled next: its write must be over.
                await _pending.ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                _pending = WriteAsync(Block, _written);
                _written += BlockBytes;
                _used = 0;
                _current ^= 1;
            }
        }
    }

    /// <summary>Writes what is left and waits for every write.</summary>
    public async ValueTask FinishAsync(CancellationToken cancellationToken)
    {
        await _pending.ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        _pending = WriteTailAsync();
        await _pending.ConfigureAwait(false);
    }

    /// <summary>Waits for a write still under way, whatever its outcome (before the buffer is used again).</summary>
    public Task StopAsync() => _pending.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    /// <summary>
    /// The last, partly filled block: its whole aligned blocks directly, the rest through the page cache (a direct write
    /// must be whole blocks, and padding one and cutting the file back would make the file system rewrite that block).
    /// </summary>
    private async Task WriteTailAsync()
    {
        var aligned = _direct ? _used / DirectIo.Alignment * DirectIo.Alignment : _used;
        if (aligned > 0)
        {
            await WriteAsync(Block[..aligned], _written).ConfigureAwait(false);
        }

        if (aligned < _used)
        {
            if (!DirectIo.TryDisable(_handle))
            {
                throw new IOException("The last bytes of the new file could not be written: direct I/O could not be switched off for them.");
            }

            _direct = false;
            await WriteAsync(Block[aligned.._used], _written + aligned).ConfigureAwait(false);
        }

        _written += _used;
        _used = 0;
    }

    // Without the caller's token: a write already handed over runs to its end (half a megabyte), so a pack being sealed
    // after another writer's failure cancelled the appends still gets its last blocks. The callers check their token.
    private async Task WriteAsync(ReadOnlyMemory<byte> block, long offset)
    {
        try
        {
            await RandomAccess.WriteAsync(_handle, block, offset).ConfigureAwait(false);
        }
        catch (IOException ex) when (_direct && DirectIo.IsRefusal(ex.HResult) && DirectIo.TryDisable(_handle))
        {
            // A file system that takes O_DIRECT but not this write (an alignment it needs larger, a feature it lacks):
            // the same bytes again through the page cache, and so for the rest of the file. Other errors (a full
            // disk, a failing one) are the write's own.
            _direct = false;
            await RandomAccess.WriteAsync(_handle, block, offset).ConfigureAwait(false);
        }
    }

    private static unsafe int AlignedStart(byte[] buffer)
    {
        if (buffer.Length < (2 * BlockBytes) + DirectIo.Alignment)
        {
            throw new ArgumentException($"The buffer must hold {(2 * BlockBytes) + DirectIo.Alignment} bytes.", nameof(buffer));
        }

        fixed (byte* address = buffer)
        {
            var misalignment = (int)((nuint)address % DirectIo.Alignment);
            return misalignment == 0 ? 0 : DirectIo.Alignment - misalignment;
        }
    }
}
