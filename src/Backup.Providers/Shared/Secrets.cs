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

    /// <summary>Writes <paramref name="content"/> to a new file only the current user can read (0600), for PGPASSFILE or --defaults-extra-file.</summary>
    public static async Task<TempFile> WritePrivateFileAsync(string content, string extension, CancellationToken cancellationToken)
    {
        RemoveLeftovers();
        var path = Path.Combine(Path.GetTempPath(), $"backup-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}-{Guid.NewGuid():N}{extension}");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        var file = new TempFile(path);
        try
        {
            await using var stream = new FileStream(path, options);
            await stream.WriteAsync(Encoding.UTF8.GetBytes(content), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            file.Dispose();
            throw;
        }

        return file;
    }

    /// <summary>
    /// A process killed before it could delete its private files (SIGKILL, a power cut) leaves them behind, a password
    /// among them: each file names the process that wrote it, and the next one to write such a file deletes those
    /// whose process no longer runs (Linux, where that can be told).
    /// </summary>
    private static void RemoveLeftovers()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        foreach (var path in Directory.EnumerateFiles(Path.GetTempPath(), "backup-*-*"))
        {
            var parts = Path.GetFileName(path).Split('-', 3);
            if (parts.Length == 3 && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var processId)
                && parts[2].Length >= 32 && !parts[2].AsSpan(0, 32).ContainsAnyExcept(LowerHex)
                && !Directory.Exists("/proc/" + processId.ToString(CultureInfo.InvariantCulture)))
            {
                try
                {
                    File.Delete(path);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // Another user's, or gone already.
                }
            }
        }
    }
}

/// <summary>A temporary file (or directory) deleted on dispose.</summary>
internal sealed class TempFile(string path) : IDisposable
{
    /// <summary>Its path.</summary>
    public string Path { get; } = path;

    /// <inheritdoc />
    public void Dispose()
    {
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
