namespace Backup.Core.Tests.Support;

/// <summary>Yields <paramref name="data"/>, then throws <paramref name="failure"/>.</summary>
internal sealed class FailingStream(byte[] data, Exception failure) : Stream
{
    private int _position;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count)
    {
        if (_position == data.Length)
        {
            throw failure;
        }

        var read = Math.Min(count, data.Length - _position);
        data.AsSpan(_position, read).CopyTo(buffer.AsSpan(offset, read));
        _position += read;
        return read;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
