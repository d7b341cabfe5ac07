using System.Collections.Concurrent;
using System.IO.Enumeration;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Backup.Core.Native;
using Backup.Core.Storage.Locations;
using Microsoft.Win32.SafeHandles;

namespace Backup.Core.Storage;

/// <summary>
/// A target in a directory on a local or mounted file system. A put writes a temporary file, flushes it to disk,
/// renames it into place and flushes the directory, so a crash leaves either the old state or the whole object.
/// Objects can also be staged (<see cref="IStagingTarget"/>): appended to such a temporary file as they are produced,
/// then committed the same way.
/// On Unix, objects are created readable and writable by their owner only (0600) and directories 0700, so other
/// users of the machine cannot copy a key object and guess its password offline; a repository shared by a group
/// names wider permissions (see <see cref="LocalDirectoryTarget(string, UnixFileMode)"/>).
/// The root directory is created by the first write when missing, but never again once seen: a root that is gone or
/// is another directory now (a disk unmounted from its mount point) fails writes with a <see cref="BackupTargetException"/>.
/// </summary>
public sealed class LocalDirectoryTarget : IStagingTarget
{
    private const string TempFolder = ".tmp";

    /// <summary>The permissions of new objects unless told otherwise: the owner's only (0600).</summary>
    internal const UnixFileMode PrivateObjectPermissions = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>How long a temporary file must have gone unwritten before it may be taken for an abandoned one.</summary>
    internal static readonly TimeSpan AbandonedAfter = TimeSpan.FromHours(1);

    private const int MaxKeptWriteBuffers = 8;

    private readonly string _root;
    private readonly ConcurrentBag<byte[]> _writeBuffers = [];
    private readonly UnixFileMode _objectPermissions;
    private readonly UnixFileMode _directoryPermissions;
    private int _swept;

    // The root directory as first seen (found at construction or made by the first write): the repository lives there.
    private readonly Lock _rootLock = new();
    private bool _rootKnown;
    private (ulong Device, ulong Inode)? _rootIdentity;

    /// <summary>
    /// Uses <paramref name="rootDirectory"/>, created with the first object written (a repository's init) when
    /// missing; objects are private to their owner (0600, directories 0700).
    /// </summary>
    /// <exception cref="TargetConfigurationException"><paramref name="rootDirectory"/> is a file.</exception>
    public LocalDirectoryTarget(string rootDirectory)
        : this(rootDirectory, PrivateObjectPermissions)
    {
    }

    /// <summary>
    /// Uses <paramref name="rootDirectory"/>, created with the first object written when missing, and creates objects with
    /// <paramref name="objectPermissions"/> (exactly, whatever the umask) and directories with the same permissions
    /// plus search where read is granted: 0640 gives a group read access (directories 0750), 0660 lets it write too.
    /// Ignored on Windows, where the directory's access control list applies.
    /// </summary>
    /// <exception cref="ArgumentException">The permissions do not let the owner read and write, or grant execute or special bits.</exception>
    /// <exception cref="TargetConfigurationException"><paramref name="rootDirectory"/> is a file.</exception>
    public LocalDirectoryTarget(string rootDirectory, UnixFileMode objectPermissions)
    {
        ArgumentException.ThrowIfNullOrEmpty(rootDirectory);
        _objectPermissions = ValidateObjectPermissions(objectPermissions);
        _directoryPermissions = DirectoryPermissionsFor(objectPermissions);
        _root = Path.GetFullPath(rootDirectory);

        // Nothing is created here: opening a mistyped path must not leave an empty directory behind, and reads and
        // listings take a missing directory for an empty one. The first object written creates it.
        RequireNotAFile(_root);
        if (Directory.Exists(_root))
        {
            RememberRoot();
        }
    }

    /// <summary>The directory the objects live in.</summary>
    public string RootDirectory => _root;

    /// <inheritdoc />
    public string Description => $"local directory '{_root}'";

    /// <inheritdoc />
    public async Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        PathOf(key); // a key the target refuses is refused before anything is written
        var staged = await BeginObjectAsync(cancellationToken).ConfigureAwait(false);
        await using (staged.ConfigureAwait(false))
        {
            await staged.AppendAsync(content, cancellationToken).ConfigureAwait(false);
            await staged.CommitAsync(key, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public Task<IStagedObject> BeginObjectAsync(CancellationToken cancellationToken = default)
    {
        var tempDirectory = Path.Combine(_root, TempFolder);
        var temp = Path.Combine(tempDirectory, $"{Guid.NewGuid():N}.partial");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, BufferSize = 0, Options = FileOptions.Asynchronous };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = _objectPermissions;
        }

        FileStream? stream = null;
        try
        {
            CreateDirectory(tempDirectory);
            if (Interlocked.Exchange(ref _swept, 1) == 0)
            {
                RemoveAbandoned(tempDirectory);
            }

            stream = new FileStream(temp, options);
            if (!OperatingSystem.IsWindows() && _objectPermissions != PrivateObjectPermissions)
            {
                // Wider permissions were asked for: the umask must not narrow them (the default can only be narrowed to nothing).
                File.SetUnixFileMode(stream.SafeFileHandle, _objectPermissions);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException && ex is not BackupTargetException)
        {
            if (stream is not null)
            {
                stream.Dispose();
                TryDelete(temp);
            }

            throw WriteFailed(ex, "a new object");
        }

        return Task.FromResult<IStagedObject>(new StagedFile(this, temp, stream, RentWriteBuffer()));
    }

    /// <summary>
    /// The error for a failed write: a full disk or exhausted quota as <see cref="StorageFullException"/>, so callers
    /// can tell it from other faults; denied access says so (the inner message names the path).
    /// </summary>
    private BackupTargetException WriteFailed(Exception exception, string what) =>
        StorageFullException.IsFull(exception, out var overQuota) ? new StorageFullException(Description, overQuota, exception)
        : exception is UnauthorizedAccessException ? new BackupTargetException($"Could not write {what} to {Description}: permission denied ({exception.Message})", exception)
        : new BackupTargetException($"Could not write {what} to {Description}: {exception.Message}", exception);

    /// <inheritdoc />
    public async ValueTask<int> ReadAsync(string key, long offset, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        using var handle = OpenRead(key);
        if (UnixNative.IsSupported && UnixNative.Stat(handle) is not { FileType: UnixStat.Regular })
        {
            // A FIFO, device or socket where an object is listed was put there by someone with access to the storage:
            // it holds no object, so it reads as an empty (damaged) one, which every reader reports, rather than
            // waiting for a writer forever or reading a device.
            return 0;
        }

        var read = 0;
        while (read < destination.Length)
        {
            var n = await RandomAccess.ReadAsync(handle, destination[read..], offset + read, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        return read;
    }

    /// <summary>The device and inode of the directory at <paramref name="path"/> (through links), or null where they cannot be had.</summary>
    private static (ulong Device, ulong Inode)? DirectoryIdentity(string path) =>
        UnixNative.IsSupported && UnixNative.Stat(path, follow: true, out _) is { } stat ? (stat.Device, stat.Inode) : null;

    /// <inheritdoc />
    public async IAsyncEnumerable<BackupObjectInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        BackupKeys.ValidatePrefix(prefix);
        var slash = prefix.LastIndexOf('/');
        var directory = slash < 0 ? _root : Path.Combine(_root, prefix[..slash]);
        if (!Directory.Exists(directory))
        {
            yield break;
        }

        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = false, AttributesToSkip = 0 };

        // Links to directories are followed (a data/ moved to another disk and linked back), but each directory is
        // walked once: someone with write access to the storage who links data/x and data/y back to the repository's
        // directory would otherwise make every listing walk 2^n paths n levels down, and every command hang.
        var walked = new HashSet<(ulong Device, ulong Inode)>();
        if (DirectoryIdentity(directory) is { } top)
        {
            walked.Add(top);
        }

        // Every real directory is walked before any link is followed, so a link to a directory walked already is what
        // is passed over, never the directory itself: a link data/zz -> 78 met first would otherwise list 78's packs
        // only as data/zz/..., and check would find them missing and advise a repair that drops snapshots.
        var links = new Queue<string>();
        var start = directory;
        while (true)
        {
            var files = new FileSystemEnumerable<FileInfo>(start, static (ref FileSystemEntry entry) => (FileInfo)entry.ToFileSystemInfo(), options)
            {
                ShouldIncludePredicate = static (ref FileSystemEntry entry) => !entry.IsDirectory,
                ShouldRecursePredicate = (ref FileSystemEntry entry) =>
                {
                    if (UnixNative.IsSupported && (entry.Attributes & FileAttributes.ReparsePoint) != 0)
                    {
                        links.Enqueue(entry.ToFullPath());
                        return false;
                    }

                    return DirectoryIdentity(entry.ToFullPath()) is not { } identity || walked.Add(identity);
                },
            };
            foreach (var file in files)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var key = Path.GetRelativePath(_root, file.FullName).Replace(Path.DirectorySeparatorChar, '/');
                if (key.StartsWith(TempFolder + "/", StringComparison.Ordinal) || !key.StartsWith(prefix, StringComparison.Ordinal))
                {
                    continue;
                }

                // The size and time are read with a stat after the directory was read: an object deleted in between
                // (a lock released, a pack pruned) is simply no longer there, not a failed listing.
                long length;
                DateTime modified;
                try
                {
                    length = file.Length;
                    modified = file.LastWriteTimeUtc;
                }
                catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
                {
                    continue;
                }

                yield return new BackupObjectInfo { Key = key, Length = length, LastModified = modified };
            }

            string? next = null;
            while (next is null && links.TryDequeue(out var link))
            {
                next = DirectoryIdentity(link) is not { } identity || walked.Add(identity) ? link : null;
            }

            if (next is null)
            {
                break;
            }

            start = next;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        var path = PathOf(key);
        try
        {
            File.Delete(path);
            try
            {
                FlushDirectory(Path.GetDirectoryName(path)!);
            }
            catch (IOException)
            {
                // The object is gone; should the deletion not survive a crash, what comes back is an object that was
                // to be deleted anyway (the next prune's), so the delete is not reported as failed.
            }
        }
        catch (DirectoryNotFoundException)
        {
            // Nothing to delete.
        }
        catch (IOException ex)
        {
            throw new BackupTargetException($"Could not delete '{key}' from {Description}: {ex.Message}", ex);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<BackupObjectInfo?> StatAsync(string key, CancellationToken cancellationToken = default)
    {
        var info = new FileInfo(PathOf(key));
        return Task.FromResult(info.Exists ? new BackupObjectInfo { Key = key, Length = info.Length, LastModified = info.LastWriteTimeUtc } : null);
    }

    private string PathOf(string key)
    {
        BackupKeys.Validate(key);
        if (key == TempFolder || key.StartsWith(TempFolder + "/", StringComparison.Ordinal))
        {
            throw new ArgumentException($"Object key '{key}' uses the reserved folder '{TempFolder}'.", nameof(key));
        }

        return Path.Combine(_root, key.Replace('/', Path.DirectorySeparatorChar));
    }

    /// <summary>Refuses a repository location that is an existing file, naming it, before anything is read or written there.</summary>
    /// <exception cref="TargetConfigurationException"><paramref name="fullPath"/> is a file.</exception>
    internal static void RequireNotAFile(string fullPath)
    {
        if (File.Exists(fullPath))
        {
            throw new TargetConfigurationException($"Repository location '{fullPath}' is a file, not a directory: give the repository's directory.");
        }
    }

    /// <summary>Directories get the objects' permissions plus search where read is granted (0600 gives 0700, 0640 gives 0750).</summary>
    internal static UnixFileMode DirectoryPermissionsFor(UnixFileMode objectPermissions)
    {
        var permissions = objectPermissions;
        if (objectPermissions.HasFlag(UnixFileMode.UserRead))
        {
            permissions |= UnixFileMode.UserExecute;
        }

        if (objectPermissions.HasFlag(UnixFileMode.GroupRead))
        {
            permissions |= UnixFileMode.GroupExecute;
        }

        if (objectPermissions.HasFlag(UnixFileMode.OtherRead))
        {
            permissions |= UnixFileMode.OtherExecute;
        }

        return permissions;
    }

    /// <summary>Refuses permissions that lock the owner out or that mean more than access (execute, set-ID, sticky).</summary>
    internal static UnixFileMode ValidateObjectPermissions(UnixFileMode objectPermissions)
    {
        const UnixFileMode allowed = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;
        if ((objectPermissions & ~allowed) != 0 || !objectPermissions.HasFlag(UnixFileMode.UserRead | UnixFileMode.UserWrite))
        {
            throw new ArgumentException($"Object permissions must let the owner read and write and may add only read and write for group and others (such as 0600, 0640 or 0660); {Convert.ToString((int)objectPermissions, 8)} does not.", nameof(objectPermissions));
        }

        return objectPermissions;
    }

    /// <summary>
    /// Creates <paramref name="directory"/> and its missing parents with the directory permissions, but never the
    /// root again once it was seen: a root that is gone, or another directory now (an unmounted disk's mount point),
    /// would take objects that no key there opens, so the write fails instead.
    /// </summary>
    /// <exception cref="BackupTargetException">The root directory is gone or was replaced since it was first seen.</exception>
    private void CreateDirectory(string directory)
    {
        if (Directory.Exists(directory))
        {
            return;
        }

        RequireRootUnchanged();
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
            RememberRoot();
            return;
        }

        CreateDirectoryWithPermissions(directory);
        RememberRoot();
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private void CreateDirectoryWithPermissions(string directory)
    {
        if (Directory.Exists(directory))
        {
            return;
        }

        var parent = Path.GetDirectoryName(directory);
        if (parent is not null && directory != _root)
        {
            CreateDirectoryWithPermissions(parent);
        }
        else if (parent is not null && !Directory.Exists(parent))
        {
            // Above the repository: made as the user would make it.
            Directory.CreateDirectory(parent);
        }

        Directory.CreateDirectory(directory, _directoryPermissions);
        if (_objectPermissions != PrivateObjectPermissions)
        {
            File.SetUnixFileMode(directory, _directoryPermissions);
        }
    }

    private void RememberRoot()
    {
        lock (_rootLock)
        {
            if (!_rootKnown && Directory.Exists(_root))
            {
                _rootIdentity = DirectoryIdentity(_root);
                _rootKnown = true;
            }
        }
    }

    private void RequireRootUnchanged()
    {
        lock (_rootLock)
        {
            if (_rootKnown && (!Directory.Exists(_root) || DirectoryIdentity(_root) != _rootIdentity))
            {
                throw new BackupTargetException(
                    $"The repository directory '{_root}' is gone or was replaced since it was first used (moved, deleted, or a disk unmounted from it); " +
                    "nothing was written. Put the repository's directory back (mount its disk) and run again; if it was replaced on purpose, " +
                    "restart the process that has the repository open.");
            }
        }
    }

    /// <summary>
    /// A writer killed while it wrote an object (SIGKILL, a power cut) leaves its temporary file behind, and nothing
    /// else would ever remove it. A live writer holds its file under an exclusive lock (FileShare.None), so one that
    /// can be locked and has not been written to for <see cref="AbandonedAfter"/> is nobody's: it is deleted, once per
    /// target, when the first object is started. Only regular files are opened, never through a symlink and never
    /// waiting (a FIFO someone with access to the storage put there would block an open forever).
    /// </summary>
    internal static void RemoveAbandoned(string tempDirectory)
    {
        // Without file locking (switched off for this process), a live writer's file looks as free as an abandoned one.
        if ((!UnixNative.IsSupported && !OperatingSystem.IsWindows()) || Environment.GetEnvironmentVariable("DOTNET_SYSTEM_IO_DISABLEFILELOCKING") is "1" or "true")
        {
            return;
        }

        try
        {
            foreach (var path in Directory.EnumerateFiles(tempDirectory, "*.partial"))
            {
                if (File.GetLastWriteTimeUtc(path) < DateTime.UtcNow - AbandonedAfter)
                {
                    TryDeleteUnlocked(path);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Tidying is best effort: the write this precedes decides the outcome.
        }
    }

    private static void TryDeleteUnlocked(string path)
    {
        try
        {
            if (OperatingSystem.IsWindows())
            {
                // Opened only if no writer has it open, and not through a link (DeleteOnClose would delete its target).
                if (!File.GetAttributes(path).HasFlag(FileAttributes.ReparsePoint))
                {
                    using (new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.None, 1, FileOptions.DeleteOnClose))
                    {
                    }
                }

                return;
            }

            using var file = UnixNative.OpenContent(path, follow: false, out _);
            if (file is not null && UnixNative.Stat(file) is { FileType: UnixStat.Regular } && UnixNative.TryLockExclusive(file))
            {
                File.Delete(path);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // In use (locked), not ours to delete, or gone already.
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // The temporary file is ignored by listings; it only costs space.
        }
    }

    // A rename is durable only once the directory entry is on disk; .NET has no API for that, so ask POSIX.
    /// <summary>Opens an object for reading. Objects are immutable once put, so the advisory lock System.IO takes is skipped where it can be.</summary>
    private SafeFileHandle OpenRead(string key)
    {
        var path = PathOf(key);
        if (UnixNative.IsSupported)
        {
            return UnixNative.OpenRead(path, out var errno) ?? throw errno switch
            {
                2 or 20 => new BackupObjectNotFoundException(key, Description), // ENOENT, ENOTDIR
                // EMFILE, ENFILE: this process's or the system's limit, not the object; said with what lifts it.
                24 or 23 => new BackupTargetException($"Could not open '{key}' in {Description}: {UnixNative.Describe(errno)} (raise the limit of open files with 'ulimit -n')"),
                // EACCES: a repository is made readable by its owner only unless its permissions share it with a group.
                13 => new BackupTargetException(
                    $"Could not open '{key}' in {Description}: {UnixNative.Describe(errno)}: the repository's files are not readable by this user. Run as the user " +
                    "that owns them (or a member of their group, where the repository shares its files with one), or give this user read access to them."),
                _ => new BackupTargetException($"Could not open '{key}' in {Description}: {UnixNative.Describe(errno)}"),
            };
        }

        try
        {
            return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.Asynchronous);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new BackupObjectNotFoundException(key, Description);
        }
    }

    // Buffers of objects being written, kept for the next ones: a writer holds one while its object is open (a few at a time).
    private byte[] RentWriteBuffer() => _writeBuffers.TryTake(out var buffer) ? buffer : BlockFileWriter.NewBuffer();

    private void ReturnWriteBuffer(byte[] buffer)
    {
        if (_writeBuffers.Count < MaxKeptWriteBuffers)
        {
            _writeBuffers.Add(buffer);
        }
    }

    /// <summary>A temporary file in the target's reserved folder, renamed into place on commit.</summary>
    private sealed class StagedFile(LocalDirectoryTarget target, string temp, FileStream stream, byte[] buffer) : IStagedObject
    {
        private readonly BlockFileWriter _writer = new(stream.SafeFileHandle, buffer);
        private bool _committed;
        private bool _disposed;

        public long Length => _writer.Length;

        public async ValueTask AppendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
        {
            ThrowIfCommitted();
            try
            {
                await _writer.AppendAsync(data, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException && ex is not BackupTargetException)
            {
                throw target.WriteFailed(ex, "a new object");
            }
        }

        public async Task CommitAsync(string key, CancellationToken cancellationToken = default)
        {
            ThrowIfCommitted();
            var path = target.PathOf(key);
            var directory = Path.GetDirectoryName(path)!;
            try
            {
                await _writer.FinishAsync(cancellationToken).ConfigureAwait(false);
                SyncToDisk(stream);
                await stream.DisposeAsync().ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                target.CreateDirectory(directory);
                var existed = File.Exists(path);
                File.Move(temp, path, overwrite: true);
                _committed = true;
                try
                {
                    FlushDirectory(directory);
                }
                catch (IOException) when (!existed)
                {
                    // Reported as not written, so it must not stay looking written (a retried backup would add a
                    // second snapshot; a lock would linger). One that was there before (the same content under the
                    // same key) stays.
                    TryDelete(path);
                    throw;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException && ex is not BackupTargetException)
            {
                throw target.WriteFailed(ex, $"'{key}'");
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            await _writer.StopAsync().ConfigureAwait(false);
            await stream.DisposeAsync().ConfigureAwait(false);
            target.ReturnWriteBuffer(buffer);
            if (!_committed)
            {
                TryDelete(temp);
            }
        }

        private void ThrowIfCommitted()
        {
            if (_committed)
            {
                throw new InvalidOperationException("The object has already been committed.");
            }
        }
    }

    /// <summary>
    /// Writes a new object's bytes through to the disk. A failed fsync is how a failing disk, NFS or a thin pool
    /// reports writes it lost, and FileStream.Flush(flushToDisk: true) returned normally when fsync failed with EIO
    /// (seen on .NET 10): so fsync is called directly, and its error fails the write.
    /// </summary>
    private static void SyncToDisk(FileStream stream)
    {
        if (OperatingSystem.IsWindows())
        {
            stream.Flush(flushToDisk: true);
            return;
        }

        stream.Flush();
        var added = false;
        var handle = stream.SafeFileHandle;
        try
        {
            handle.DangerousAddRef(ref added);
            CheckSynced(NativeMethods.fsync((int)handle.DangerousGetHandle()), "the new object's data");
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>Makes a rename into <paramref name="directory"/> durable; a directory that cannot be opened (no read permission) is left to the file system.</summary>
    private static void FlushDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var fd = NativeMethods.open(directory, 0 /* O_RDONLY */);
        if (fd < 0)
        {
            return;
        }

        try
        {
            CheckSynced(NativeMethods.fsync(fd), $"the directory '{directory}'");
        }
        finally
        {
            _ = NativeMethods.close(fd);
        }
    }

    /// <summary>Throws for a failed fsync, but for file systems that cannot sync this kind of file (EINVAL, EROFS, ENOTSUP), where there is nothing to wait for.</summary>
    private static void CheckSynced(int result, string what)
    {
        const int InvalidArgument = 22, ReadOnlyFileSystem = 30, NotSupported = 95;
        if (result == 0)
        {
            return;
        }

        var errno = Marshal.GetLastPInvokeError();
        if (errno is not (InvalidArgument or ReadOnlyFileSystem or NotSupported))
        {
            throw new IOException($"Writing {what} through to the disk failed: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
        }
    }

    private static partial class NativeMethods
    {
        [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
        internal static extern int open(string path, int flags);

        [DllImport("libc", SetLastError = true)]
        internal static extern int fsync(int fd);

        [DllImport("libc", SetLastError = true)]
        internal static extern int close(int fd);
    }
}
