using MySqlConnector;

namespace Backup.Providers.MySql;

/// <summary>Per-table row counts and checksums, measured the same way at backup and at verification.</summary>
internal static class MyChecksums
{
    /// <summary>Fixes the session settings that change a row's text form.</summary>
    public const string SessionSettings = "SET time_zone = '+00:00', NAMES utf8mb4";

    /// <summary>
    /// Every base table: COUNT(*) and a sum of per-row MD5 prefixes over QUOTE()d columns (order independent,
    /// constant memory; QUOTE distinguishes NULL from 'NULL'). CHECKSUM TABLE is not used: it depends on the row
    /// format and reads outside the transaction's snapshot.
    /// </summary>
    public static async Task<List<TableChecksum>> MeasureAsync(MySqlConnection connection, string database, CancellationToken cancellationToken)
    {
        var columns = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        await using (var list = new MySqlCommand("""
            SELECT c.TABLE_NAME, c.COLUMN_NAME FROM information_schema.COLUMNS c
            JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME
            WHERE c.TABLE_SCHEMA = @db AND t.TABLE_TYPE = 'BASE TABLE' ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION
            """, connection))
        {
            list.Parameters.AddWithValue("@db", database);
            await using var reader = await list.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var table = reader.GetString(0);
                if (!columns.TryGetValue(table, out var names))
                {
                    columns[table] = names = [];
                }

                names.Add(reader.GetString(1));
            }
        }

        var result = new List<TableChecksum>(columns.Count);
        foreach (var (table, names) in columns)
        {
            var row = string.Join(", ", names.Select(c => $"QUOTE({MyServer.QuoteIdentifier(c)})"));
            await using var command = new MySqlCommand(
                $"SELECT COUNT(*), MD5(CAST(COALESCE(SUM(CAST(CONV(LEFT(MD5(CONCAT_WS(',', {row})), 15), 16, 10) AS UNSIGNED)), 0) AS CHAR)) FROM {MyServer.QuoteIdentifier(database)}.{MyServer.QuoteIdentifier(table)}",
                connection) { CommandTimeout = 0 };
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            result.Add(new TableChecksum { Table = table, Rows = reader.GetInt64(0), Checksum = reader.GetString(1) });
        }

        return result;
    }
}
