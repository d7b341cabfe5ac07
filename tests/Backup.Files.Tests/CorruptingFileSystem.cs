using System.IO.Abstractions;
using System.IO.Abstractions.TestingHelpers;
using Microsoft.Win32.SafeHandles;

namespace Backup.Files.Tests;

/// <summary>
/// A file system that changes what is written to files whose name ends with <paramref name="victimSuffix"/>: the first
/// byte of each write is flipped, as a failing disk or driver might. A fault no real test disk here can be made to cause.
/// </summary>
internal sealed class CorruptingFileSystem(MockFileSystem inner, string victimSuffix) : IFileSystem
{
    public IDirectory Directory => inner.Directory;

    public IDirectoryInfoFactory DirectoryInfo => inner.DirectoryInfo;

    public IDriveInfoFactory DriveInfo => inner.DriveInfo;

    public IFile File => inner.File;

    public IFileInfoFactory FileInfo => inner.FileInfo;

    public IFileStreamFactory FileStream => new Streams(this, inner.FileStream, victimSuffix);

    public IFileSystemWatcherFactory FileSystemWatcher => inner.FileSystemWatcher;

    public IFileVersionInfoFactory FileVersionInfo => inner.FileVersionInfo;

    public IPath Path => inner.Path;

    public IRandomAccess RandomAccess => inner.RandomAccess;

    private sealed class Streams(IFileSystem owner, IFileStreamFactory streams, string victimSuffix) : IFileStreamFactory
    {
        public IFileSystem FileSystem => owner;

        public FileSystemStream New(SafeFileHandle handle, FileAccess access) => streams.New(handle, access);

        public FileSystemStream New(SafeFileHandle handle, FileAccess access, int bufferSize) => streams.New(handle, access, bufferSize);

        public FileSystemStream New(SafeFileHandle handle, FileAccess access, int bufferSize, bool isAsync) => streams.New(handle, access, bufferSize, isAsync);

        public FileSystemStream New(string path, FileMode mode) => Wrap(path, streams.New(path, mode));

        public FileSystemStream New(string path, FileMode mode, FileAccess access) => Wrap(path, streams.New(path, mode, access));

        public FileSystemStream New(string path, FileMode mode, FileAccess access, FileShare share) => Wrap(path, streams.New(path, mode, access, share));

        public FileSystemStream New(string path, FileMode mode, FileAccess access, FileShare share, int bufferSize) => Wrap(path, streams.New(path, mode, access, share, bufferSize));

        public FileSystemStream New(string path, FileMode mode, FileAccess access, FileShare share, int bufferSize, bool useAsync) => Wrap(path, streams.New(path, mode, access, share, bufferSize, useAsync));

        public FileSystemStream New(string path, FileMode mode, FileAccess access, FileShare share, int bufferSize, FileOptions options) => Wrap(path, streams.New(path, mode, access, share, bufferSize, options));

        public FileSystemStream New(string path, FileStreamOptions options) => Wrap(path, streams.New(path, options));

        public FileSystemStream Wrap(FileStream fileStream) => streams.Wrap(fileStream);

        private FileSystemStream Wrap(string path, FileSystemStream stream) =>
            path.EndsWith(victimSuffix, StringComparison.Ordinal) && stream.CanWrite ? new Corrupting(stream) : stream;
    }

    private sealed class Corrupting(FileSystemStream inner) : FileSystemStream(inner, inner.Name, inner.IsAsync)
    {
        public override void Write(byte[] buffer, int offset, int count) => base.Write(Flipped(buffer.AsSpan(offset, count)), 0, count);

        public override void Write(ReadOnlySpan<byte> buffer) => base.Write(Flipped(buffer));

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            base.WriteAsync(Flipped(buffer.AsSpan(offset, count)), 0, count, cancellationToken);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.WriteAsync(Flipped(buffer.Span), cancellationToken);

        private static byte[] Flipped(ReadOnlySpan<byte> data)
        {
            var copy = data.ToArray();
            if (copy.Length > 0)
            {
                copy[0] ^= 0xFF;
            }

            return copy;
        }
    }
}
