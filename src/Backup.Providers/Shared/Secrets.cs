using System.Globalization;
using System.Text;

namespace Backup.Providers;

/// <summary>Keeps passwords out of messages and command lines.</summary>
internal static class Secrets
{
    private static readonly System.Buffers.SearchValues<char> LowerHex = System.Buffers.SearchValues.Create("0123456789abcdef");

    /// <summary>Replaces every occurrence of a secret in <paramref name="text"/> with "***".</summary>
    public static string Scrub(string text, IEnumerable<string> secrets)
    {
        foreach (var secret in secrets)
        {
            // Very short "secrets" would mangle ordinary words; a 1-3 character password is not worth hiding anyway.
            if (secret.Length >= 4)
            {
                text = text.Replace(secret, "***", StringComparison.Ordinal);
            }
        }

        return text;
    }

    /// <summary>
    /// Writes <paramref name="content"/> to a new file only the current user can read (0600), for PGPASSFILE or
    /// --defaults-extra-file. On Unix the file stays open with an exclusive lock until it is disposed: the tools read
    /// it regardless (the lock is advisory), and it tells <see cref="RemoveLeftovers"/> that the file is in use.
    /// </summary>
    public static async Task<TempFile> WritePrivateFileAsync(string content, string extension, CancellationToken cancellationToken)
    {
        RemoveLeftovers();
        var path = Path.Combine(Path.GetTempPath(), $"backup-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}-{Guid.NewGuid():N}{extension}");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        var stream = new FileStream(path, options);
        try
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes(content), cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            new TempFile(path).Dispose();
            throw;
        }

        // On Windows the share mode is a mandatory lock, which would keep the tools out.
        if (OperatingSystem.IsWindows())
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            return new TempFile(path);
        }

        return new TempFile(path, stream);
    }

    /// <summary>
    /// A process killed before it could delete its private files (SIGKILL, a power cut) leaves them behind, a password
    /// among them. Each is held under an exclusive lock while in use, so one of them that is more than a minute old
    /// (its writer had time to lock it) and that can be locked is nobody's: it is deleted. The lock is the file's own,
    /// so this holds across processes that cannot see each other's ids (containers sharing a temp directory).
    /// </summary>
    private static void RemoveLeftovers()
    {
        // Linux only: the check that an entry is a regular file before it is opened needs its open(2) flags. And
        // without file locking (switched off for this process) a file in use looks as free as a leftover.
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("DOTNET_SYSTEM_IO_DISABLEFILELOCKING") is "1" or "true")
        {
            return;
        }

        try
        {
            foreach (var path in Directory.EnumerateFiles(Path.GetTempPath(), "backup-*-*"))
            {
                var parts = Path.GetFileName(path).Split('-', 3);
                if (parts.Length == 3 && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out _)
                    && parts[2].Length >= 32 && !parts[2].AsSpan(0, 32).ContainsAnyExcept(LowerHex)
                    && File.GetLastWriteTimeUtc(path) < DateTime.UtcNow - TimeSpan.FromMinutes(1))
                {
                    TryRemoveUnlocked(path);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A temp directory that cannot be listed: nothing to tidy, and writing may still work.
        }
    }

    private static void TryRemoveUnlocked(string path)
    {
        try
        {
            // Anyone may create files in the temp directory: only a regular file under the name is opened, never
            // through a symlink and never a FIFO (whose open would wait for a writer forever).
            using var file = UnixFiles.OpenRegularFile(path);
            if (file is not null && UnixFiles.TryLockExclusive(file.SafeFileHandle))
            {
                File.Delete(path);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // In use (locked), another user's, or gone already.
        }
    }
}

/// <summary>A temporary file (or directory) deleted on dispose.</summary>
internal sealed class TempFile(string path, IDisposable? holder = null) : IDisposable
{
    /// <summary>Its path.</summary>
    public string Path { get; } = path;

    /// <inheritdoc />
    public void Dispose()
    {
        holder?.Dispose();
        try
        {
            if (Directory.Exists(Path))
            {
                Directory.Delete(Path, recursive: true);
            }
            else
            {
                File.Delete(Path);
            }
        }
        catch (IOException)
        {
            // Best effort: a leftover temp file must not hide the real outcome.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
