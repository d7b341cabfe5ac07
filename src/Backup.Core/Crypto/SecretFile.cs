namespace Backup.Core.Crypto;

/// <summary>
/// Reads a password (or another secret) from a file, the same way everywhere: the backup tool's password files,
/// the hosting layer's <c>PasswordFile</c> settings and the database providers. The secret is the file's first line
/// without its line ending, so "secret", "secret\n", "secret\r\n" and "secret\nanything else" all give "secret".
/// </summary>
public static class SecretFile
{
    /// <summary>The first line of the file at <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist (the message names it and says what to do).</exception>
    /// <exception cref="InvalidDataException">Its first line is empty (the message names the file, never its content).</exception>
    /// <exception cref="IOException">It cannot be read.</exception>
    /// <exception cref="UnauthorizedAccessException">It may not be read (the message names the file and says what to do).</exception>
    public static async Task<string> ReadAsync(string path, CancellationToken cancellationToken = default)
    {
        using var reader = Open(path);
        return FirstLine(path, await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false));
    }

    /// <summary>The first line of the file at <paramref name="path"/> (for callers that cannot await, such as a console prompt's fallback).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist (the message names it and says what to do).</exception>
    /// <exception cref="InvalidDataException">Its first line is empty (the message names the file, never its content).</exception>
    /// <exception cref="IOException">It cannot be read.</exception>
    /// <exception cref="UnauthorizedAccessException">It may not be read (the message names the file and says what to do).</exception>
    public static string Read(string path)
    {
        using var reader = Open(path);
        return FirstLine(path, reader.ReadLine());
    }

    private static StreamReader Open(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new FileNotFoundException(Directory.Exists(full) ? $"Password file '{full}' is a directory: give the file that holds the password." : $"Password file '{full}' does not exist: give the path of the file that holds the password. A file named by a configuration or a plan may have been on a machine that is gone: bring it from where it is kept, or give its path where it is now.", full);
        }

        try
        {
            return new StreamReader(full, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new UnauthorizedAccessException($"Password file '{full}' cannot be read by this user: give it read permission for the user that runs the backup (and nobody else).", ex);
        }
    }

    private static string FirstLine(string path, string? line) =>
        string.IsNullOrEmpty(line)
            ? throw new InvalidDataException($"Password file '{Path.GetFullPath(path)}' is empty or its first line is blank; its first line is the password.")
            : line;
}
