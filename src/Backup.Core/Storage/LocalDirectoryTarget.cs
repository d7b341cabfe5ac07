using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Backup.Core.Storage;

/// <summary>
/// A target in a directory on a local or mounted file system. A put writes a temporary file, flushes it to disk,
/// renames it into place and flushes the directory, so a crash leaves either the old state or the whole object.
/// </summary>
public sealed class LocalDirectoryTarget : IBackupTarget
{
    private const string TempFolder = ".tmp";
    private readonly string _root;

    /// <summary>Uses <paramref name="rootDirectory"/>, creating it when missing.</summary>
    public LocalDirectoryTarget(string rootDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(rootDirectory);
        _root = Path.GetFullPath(rootDirectory);
        Directory.CreateDirectory(_root);
    }

    /// <summary>The directory the objects live in.</summary>
    public string RootDirectory => _root;

    /// <inheritdoc />
    public string Description => $"local directory '{_root}'";

    /// <inheritdoc />
    public async Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        var path = PathOf(key);
        var directory = Path.GetDirectoryName(path)!;
        var tempDirectory = Path.Combine(_root, TempFolder);
        Directory.CreateDirectory(directory);
        Directory.CreateDirectory(tempDirectory);
        var temp = Path.Combine(tempDirectory, $"{Guid.NewGuid():N}.partial");
        try
        {
            await using (var stream = new FileStream(temp, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Options = FileOptions.Asynchronous,
                PreallocationSize = content.Length,
            }))
            {
                await stream.WriteAsync(content, cancellationToken).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }

            cancellationToken.ThrowIfCancellationRequested();
            File.Move(temp, path, overwrite: true);
            FlushDirectory(directory);
        }
        catch (IOException ex) when (ex is not BackupTargetException)
        {
            TryDelete(temp);
            throw new BackupTargetException($"Could not write '{key}' to {Description}: {ex.Message}", ex);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <inheritdoc />
    public async Task<byte[]> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        try
        {
            return await File.ReadAllBytesAsync(PathOf(key), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new BackupObjectNotFoundException(key, Description);
        }
    }

    /// <inheritdoc />
    public async Task<byte[]> GetRangeAsync(string key, long offset, int length, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        try
        {
            using var handle = File.OpenHandle(PathOf(key), FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.Asynchronous);
            var fileLength = RandomAccess.GetLength(handle);
            if (offset + length > fileLength)
            {
                throw new BackupTargetException($"Range {offset}+{length} lies outside '{key}' ({fileLength} bytes) in {Description}.");
            }

            var buffer = GC.AllocateUninitializedArray<byte>(length);
            var read = 0;
            while (read < length)
            {
                var n = await RandomAccess.ReadAsync(handle, buffer.AsMemory(read), offset + read, cancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    throw new BackupTargetException($"'{key}' in {Description} ended early at {offset + read}.");
                }

                read += n;
            }

            return buffer;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new BackupObjectNotFoundException(key, Description);
        }
    }

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
        foreach (var file in new DirectoryInfo(directory).EnumerateFiles("*", options))
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

            yield return new BackupObjectInfo(key, length, modified);
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
            FlushDirectory(Path.GetDirectoryName(path)!);
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
        return Task.FromResult(info.Exists ? new BackupObjectInfo(key, info.Length, info.LastWriteTimeUtc) : null);
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
            _ = NativeMethods.fsync(fd);
        }
        finally
        {
            _ = NativeMethods.close(fd);
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
