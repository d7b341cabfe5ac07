namespace Backup.Providers.Sqlite;

/// <summary>A database file together with the files SQLite keeps beside it.</summary>
internal static class SqliteFiles
{
    /// <summary>The suffixes of the write-ahead log, its shared-memory index and the rollback journal.</summary>
    public static readonly IReadOnlyList<string> CompanionSuffixes = ["-wal", "-shm", "-journal"];

    /// <summary>
    /// Deletes a database file of ours and its companions. A read-only connection to a WAL-mode copy cannot remove
    /// the -wal file it created when it closes, so deleting only the database would leave that behind.
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
}
