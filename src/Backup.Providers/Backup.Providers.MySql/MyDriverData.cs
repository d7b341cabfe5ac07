using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using MySqlConnector;

namespace Backup.Providers.MySql;

/// <summary>
/// Writes a driver-only dump's <c>data.sql</c>: for every base table, multi-row <c>INSERT INTO `t` (`c`, …) VALUES (…), (…);</c>
/// statements, one per line. The server formats each row (QUOTE() for text, numbers and dates; X'…' hex for binary,
/// spatial and BIT columns), so values round-trip in the text form the checksums use; newlines inside values are
/// written as \n so that a statement never spans lines. Generated columns are left out (the server recomputes them).
/// </summary>
internal static class MyDriverData
{
    private static readonly HashSet<string> HexTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob",
        "geometry", "point", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon", "geometrycollection", "geomcollection",
    };

    /// <summary>Writes every row of <paramref name="tables"/> (in <paramref name="database"/>) to <paramref name="writer"/>; returns the rows written.</summary>
    public static async Task<long> WriteAsync(MySqlConnection connection, string database, IEnumerable<string> tables, PipeWriter writer, int batchBytes, CancellationToken cancellationToken)
    {
        long rows = 0;
        foreach (var table in tables)
        {
            var columns = await ColumnsAsync(connection, database, table, cancellationToken).ConfigureAwait(false);
            if (columns.Count == 0)
            {
                continue;
            }

            var prefix = $"INSERT INTO {MyServer.QuoteIdentifier(table)} ({string.Join(", ", columns.Select(c => MyServer.QuoteIdentifier(c.Name)))}) VALUES ";
            var row = $"CONCAT('(', CONCAT_WS(',', {string.Join(", ", columns.Select(c => ValueExpression(c.Name, c.Type)))}), ')')";
            var sql = $"SELECT REPLACE(REPLACE({row}, '\\n', '\\\\n'), '\\r', '\\\\r') FROM {MyServer.QuoteIdentifier(database)}.{MyServer.QuoteIdentifier(table)}";
            await using var command = new MySqlCommand(sql, connection) { CommandTimeout = 0 };
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var statement = new StringBuilder();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var values = reader.GetString(0);
                if (statement.Length > 0 && statement.Length + values.Length > batchBytes)
                {
                    await FlushAsync(statement, writer, cancellationToken).ConfigureAwait(false);
                }

                statement.Append(statement.Length == 0 ? prefix : ",").Append(values);
                rows++;
            }

            if (statement.Length > 0)
            {
                await FlushAsync(statement, writer, cancellationToken).ConfigureAwait(false);
            }
        }

        return rows;
    }

    private static string ValueExpression(string column, string type)
    {
        var quoted = MyServer.QuoteIdentifier(column);
        if (type.Equals("bit", StringComparison.OrdinalIgnoreCase))
        {
            return $"IF({quoted} IS NULL, 'NULL', CAST({quoted} + 0 AS CHAR))";
        }

        return HexTypes.Contains(type)
            ? $"IF({quoted} IS NULL, 'NULL', CONCAT('X''', HEX({quoted}), ''''))"
            : $"CONVERT(QUOTE({quoted}) USING utf8mb4)";
    }

    private static async Task<List<(string Name, string Type)>> ColumnsAsync(MySqlConnection connection, string database, string table, CancellationToken cancellationToken)
    {
        var columns = new List<(string, string)>();
        await using var command = new MySqlCommand(
            "SELECT COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = @db AND TABLE_NAME = @t AND EXTRA NOT LIKE '%GENERATED%' ORDER BY ORDINAL_POSITION",
            connection);
        command.Parameters.AddWithValue("@db", database);
        command.Parameters.AddWithValue("@t", table);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            columns.Add((reader.GetString(0), reader.GetString(1)));
        }

        return columns;
    }

    private static async Task FlushAsync(StringBuilder statement, PipeWriter writer, CancellationToken cancellationToken)
    {
        statement.Append(";\n");
        // One string, so a surrogate pair is never split between two encoder calls.
        writer.Write(Encoding.UTF8.GetBytes(statement.ToString()));
        statement.Clear();
        if ((await writer.FlushAsync(cancellationToken).ConfigureAwait(false)).IsCompleted)
        {
            throw new IOException("the reader stopped before the end of the dump");
        }
    }
}
