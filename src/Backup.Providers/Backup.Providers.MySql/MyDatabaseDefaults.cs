using MySqlConnector;

namespace Backup.Providers.MySql;

/// <summary>
/// The character set and collation a database was created with. A dump holds each table's own, but not the
/// database's, which tables created later and stored routines take: a restore that made every new database utf8mb4
/// gave a latin1 database back as utf8mb4. Recorded per database in the snapshot's metadata
/// (<c>mysql.charset.NAME</c>, <c>mysql.collation.NAME</c>), so a restore creates the database as it was.
/// </summary>
internal static class MyDatabaseDefaults
{
    /// <summary>Records the defaults of each of <paramref name="databases"/> into <paramref name="facts"/>.</summary>
    public static async Task RecordAsync(MySqlConnection connection, IEnumerable<string> databases, Dictionary<string, string> facts, CancellationToken cancellationToken)
    {
        foreach (var database in databases)
        {
            await using var query = new MySqlCommand("SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = @db", connection);
            query.Parameters.AddWithValue("@db", database);
            await using var reader = await query.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                facts[$"{MySqlSource.KindName}.charset.{database}"] = reader.GetString(0);
                facts[$"{MySqlSource.KindName}.collation.{database}"] = reader.GetString(1);
            }
        }
    }

    /// <summary>
    /// The defaults the snapshot recorded for <paramref name="database"/>, or null for a snapshot from before they were
    /// recorded. The names come from the repository and go into a statement, so only plain names are taken.
    /// </summary>
    public static (string CharacterSet, string Collation)? Read(IReadOnlyDictionary<string, string> metadata, string database) =>
        metadata.TryGetValue($"{MySqlSource.KindName}.charset.{database}", out var charset) && IsName(charset)
        && metadata.TryGetValue($"{MySqlSource.KindName}.collation.{database}", out var collation) && IsName(collation)
            ? (charset, collation)
            : null;

    /// <summary>
    /// Fails, before anything is dropped or created, when the server does not know <paramref name="defaults"/> (a MySQL 8
    /// collation such as utf8mb4_0900_ai_ci on MariaDB before 11.4.5, or a value altered in the repository): a Clean
    /// restore drops the existing database first, and a CREATE that failed after it left no database at all.
    /// </summary>
    /// <exception cref="DatabaseRestoreException">The server knows the character set or the collation not, or not together.</exception>
    public static async Task EnsureKnownAsync(MySqlConnection connection, (string CharacterSet, string Collation) defaults, string database, CancellationToken cancellationToken)
    {
        // The names are plain (see Read), so the probe is safe to build as text; it touches no data.
        await using var probe = new MySqlCommand($"SELECT CONVERT('' USING {defaults.CharacterSet}) COLLATE {defaults.Collation}", connection);
        try
        {
            await probe.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (MySqlException ex)
        {
            throw new DatabaseRestoreException(
                $"The snapshot's database '{database}' was created with character set {defaults.CharacterSet} and collation {defaults.Collation}, which this server cannot use ({ex.Message}); nothing was changed. " +
                "Restore into a server that has them (the version the backup was taken from, or a newer one), or create the database yourself with the collation to use and restore its dump into it.",
                ex);
        }
    }

    private static bool IsName(string value) => value.Length is > 0 and <= 64 && value.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
}
