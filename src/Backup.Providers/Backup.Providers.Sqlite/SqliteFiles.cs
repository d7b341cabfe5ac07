using System.Text;
using Microsoft.Data.Sqlite;

namespace Backup.Providers.Sqlite;

/// <summary>Database files of ours and the files SQLite keeps beside them, handled so that no one else's file beside them counts.</summary>
internal static class SqliteFiles
{
    /// <summary>The suffixes of the write-ahead log, its shared-memory index and the rollback journal.</summary>
    public static readonly IReadOnlyList<string> CompanionSuffixes = ["-wal", "-shm", "-journal"];

    /// <summary>
    /// A read-only connection to the database file alone (SQLite's <c>immutable=1</c>): no journal, WAL or
    /// shared-memory file beside it is read, played back or created. A "hot" journal someone planted beside a file of
    /// ours would otherwise be played into it (pages of their choosing) and could name a "super-journal" that SQLite
    /// then deletes, with this process's rights.
    /// </summary>
    public static SqliteConnection OpenFileOnly(string path) =>
        new(new SqliteConnectionStringBuilder { DataSource = $"file:{UriPath(Path.GetFullPath(path))}?immutable=1", Mode = SqliteOpenMode.ReadOnly, Pooling = false, DefaultTimeout = 60 }.ToString());

    /// <summary>
    /// Creates a new directory that only this user may enter (0700 on Unix) in <paramref name="parent"/>, or in the
    /// temporary directory when null, for files that must not be read or have files planted beside them by others.
    /// </summary>
    public static string CreatePrivateDirectory(string? parent, string prefix)
    {
        if (parent is null)
        {
            return Directory.CreateTempSubdirectory(prefix).FullName;
        }

        var path = Path.Combine(Path.GetFullPath(parent), prefix + Guid.NewGuid().ToString("N"));
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return path;
    }

    /// <summary>Deletes a directory of ours with what is in it; best effort, as a leftover must not hide the real outcome.</summary>
    public static void DeleteDirectory(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>
    /// Deletes a database file of ours and any journal, WAL or shared-memory file beside it, one someone else put
    /// there included.
    /// </summary>
    public static void DeleteWithCompanions(string path)
    {
        foreach (var file in CompanionSuffixes.Select(suffix => path + suffix).Prepend(path))
        {
            try
            {
                File.Delete(file);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Best effort: a leftover temporary file must not hide the real outcome.
            }
        }
    }

    /// <summary>An absolute path as the path of a <c>file:</c> URI, every byte but unreserved ones and '/' percent-encoded ('?', '#' and '%' are legal in file names).</summary>
    private static string UriPath(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            path = "/" + path.Replace('\\', '/');
        }

        var uri = new StringBuilder(path.Length + 16);
        foreach (var b in Encoding.UTF8.GetBytes(path))
        {
            if (char.IsAsciiLetterOrDigit((char)b) || b is (byte)'/' or (byte)'.' or (byte)'-' or (byte)'_' or (byte)'~')
            {
                uri.Append((char)b);
            }
            else
            {
                uri.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return uri.ToString();
    }
}
