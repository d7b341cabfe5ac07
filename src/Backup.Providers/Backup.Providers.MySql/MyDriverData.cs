using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using MySqlConnector;

namespace Backup.Providers.MySql;

/// <summary>
/// Writes a driver-only dump's rows: for every base table, multi-row <c>INSERT INTO `t` (`c`, …) VALUES (…), (…);</c>
/// statements, one per line, of the value lists <see cref="MyRowFormat"/> formats from a plain SELECT (newlines
/// inside values escaped, so a statement never spans lines). Generated columns are left out (the server recomputes them).
/// </summary>
internal static class MyDriverData
{
    /// <summary>Writes every row of <paramref name="tables"/> (in <paramref name="database"/>) to <paramref name="writer"/>; returns the rows written.</summary>
    public static async Task<long> WriteAsync(MySqlConnection connection, string database, IEnumerable<string> tables, PipeWriter writer, int batchBytes, CancellationToken cancellationToken)
    {
        long rows = 0;
        foreach (var table in tables)
        {
            rows += (await WriteTableAsync(connection, database, table, writer, batchBytes, cancellationToken).ConfigureAwait(false)).Rows;
        }

        return rows;
    }

    /// <summary>Writes every row of one table to <paramref name="writer"/>; returns the rows' count and <see cref="MyRowChecksum"/> (<see cref="MyRowChecksum.Kind"/>), taken from the same rows on the way.</summary>
    public static async Task<MyRowChecksum> WriteTableAsync(MySqlConnection connection, string database, string table, PipeWriter writer, int batchBytes, CancellationToken cancellationToken)
    {
        var checksum = default(MyRowChecksum);
        var columns = await ColumnsAsync(connection, database, table, cancellationToken).ConfigureAwait(false);
        if (columns.Count == 0)
        {
            // Every table has a stored column: none visible means no privilege on it, and skipping it would lose its rows.
            throw new InvalidOperationException($"no columns of '{database}.{table}' are visible (the user may lack the SELECT privilege on it)");
        }

        var prefix = Encoding.UTF8.GetBytes(InsertPrefix(table, columns.Select(c => c.Name)));
        var format = MyRowFormat.For(database, table, columns);
        await using var command = new MySqlCommand(format.Select, connection) { CommandTimeout = 0 };
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var cancel = CancelOnce(command, cancellationToken);
        var output = new BatchedPipeWriter(writer);
        var statement = 0L;
        while (await ReadAsync(reader, cancellationToken).ConfigureAwait(false))
        {
            format.Format(reader);
            var row = format.Row;
            checksum.Add(row);
            if (statement > 0 && statement + row.Length > batchBytes)
            {
                output.Write(";\n"u8);
                statement = 0;
                if (await output.FlushAsync(cancellationToken).ConfigureAwait(false))
                {
                    throw new IOException("the reader stopped before the end of the dump");
                }

                row = format.Row; // taken again: a span does not live across the await
            }

            if (statement == 0)
            {
                output.Write(prefix);
                statement = prefix.Length;
            }
            else
            {
                output.Write(","u8);
                statement++;
            }

            output.Write(row);
            statement += row.Length;
        }

        if (statement > 0)
        {
            output.Write(";\n"u8);
            if (await output.FlushAsync(cancellationToken).ConfigureAwait(false))
            {
                throw new IOException("the reader stopped before the end of the dump");
            }
        }

        return checksum;
    }

    /// <summary>
    /// Cancels <paramref name="command"/> (KILL QUERY, as MySqlConnector does for a token) when
    /// <paramref name="cancellationToken"/> is: registered once for all the rows read by <see cref="ReadAsync"/>, where
    /// passing the token to every <see cref="MySqlDataReader.ReadAsync(CancellationToken)"/> registers it once per row
    /// (a lock each time, 2% of a backup's CPU).
    /// </summary>
    private static CancellationTokenRegistration CancelOnce(MySqlCommand command, CancellationToken cancellationToken) =>
        cancellationToken.UnsafeRegister(static state => ((MySqlCommand)state!).Cancel(), command);

    /// <summary>The next row, under the registration of <see cref="CancelOnce"/>: a read the cancellation interrupted ends as cancelled.</summary>
    private static async ValueTask<bool> ReadAsync(MySqlDataReader reader, CancellationToken cancellationToken)
    {
        try
        {
            return await reader.ReadAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (MySqlException ex) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException("The read was cancelled.", ex, cancellationToken);
        }
    }

    /// <summary>How every INSERT of a table's rows starts: <c>INSERT INTO `t` (`c`, …) VALUES </c> (the restore requires exactly this).</summary>
    public static string InsertPrefix(string table, IEnumerable<string> columns) =>
        $"INSERT INTO {MyServer.QuoteIdentifier(table)} ({string.Join(", ", columns.Select(MyServer.QuoteIdentifier))}) VALUES ";

    /// <summary>Measures <see cref="MyRowChecksum"/> (<see cref="MyRowChecksum.Kind"/>) of every base table of <paramref name="database"/> with the query and formatting the backup read them with (verification of a parallel backup).</summary>
    public static async Task<List<TableChecksum>> MeasureAsync(MySqlConnection connection, string database, CancellationToken cancellationToken)
    {
        var tables = await BaseTablesAsync(connection, database, cancellationToken).ConfigureAwait(false);
        var result = new List<TableChecksum>(tables.Count);
        foreach (var table in tables)
        {
            var checksum = default(MyRowChecksum);
            var columns = await ColumnsAsync(connection, database, table, cancellationToken).ConfigureAwait(false);
            if (columns.Count > 0)
            {
                var format = MyRowFormat.For(database, table, columns);
                await using var command = new MySqlCommand(format.Select, connection) { CommandTimeout = 0 };
                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using var cancel = CancelOnce(command, cancellationToken);
                while (await ReadAsync(reader, cancellationToken).ConfigureAwait(false))
                {
                    format.Format(reader);
                    checksum.Add(format.Row);
                }
            }

            result.Add(new TableChecksum { Table = table, Rows = checksum.Rows, Checksum = checksum.Value });
        }

        return result;
    }

    /// <summary>
    /// Measures <see cref="MyRowChecksum.ServerTextKind"/> of every base table of <paramref name="database"/>: each row as
    /// the text the server formats with QUOTE()/HEX(), the way parallel backups read their rows before the formatting
    /// moved here (verification of those snapshots).
    /// </summary>
    public static async Task<List<TableChecksum>> MeasureServerTextAsync(MySqlConnection connection, string database, CancellationToken cancellationToken)
    {
        var tables = await BaseTablesAsync(connection, database, cancellationToken).ConfigureAwait(false);
        var result = new List<TableChecksum>(tables.Count);
        foreach (var table in tables)
        {
            var checksum = default(MyRowChecksum);
            var columns = await ColumnsAsync(connection, database, table, cancellationToken).ConfigureAwait(false);
            if (columns.Count > 0)
            {
                await using var command = new MySqlCommand(ServerTextQuery(database, table, columns), connection) { CommandTimeout = 0 };
                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    checksum.Add(reader.GetString(0));
                }
            }

            result.Add(new TableChecksum { Table = table, Rows = checksum.Rows, Checksum = checksum.Value });
        }

        return result;
    }

    private static async Task<List<string>> BaseTablesAsync(MySqlConnection connection, string database, CancellationToken cancellationToken)
    {
        var tables = new List<string>();
        await using (var list = new MySqlCommand("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = @db AND TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED') ORDER BY TABLE_NAME", connection))
        {
            list.Parameters.AddWithValue("@db", database);
            await using var reader = await list.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                tables.Add(reader.GetString(0));
            }
        }

        return tables;
    }

    /// <summary>One value list per row, <c>(…,…)</c>, formatted by the server with QUOTE()/HEX() (what parallel backups stored and hashed before <see cref="MyRowFormat"/>).</summary>
    private static string ServerTextQuery(string database, string table, List<(string Name, string Type, string? Charset, bool Nullable)> columns)
    {
        var row = $"CONCAT('(', CONCAT_WS(',', {string.Join(", ", columns.Select(c => ValueExpression(c.Name, c.Type)))}), ')')";
        return $"SELECT REPLACE(REPLACE({row}, '\\n', '\\\\n'), '\\r', '\\\\r') FROM {MyServer.QuoteIdentifier(database)}.{MyServer.QuoteIdentifier(table)}";
    }

    private static string ValueExpression(string column, string type)
    {
        var quoted = MyServer.QuoteIdentifier(column);
        if (type.Equals("bit", StringComparison.OrdinalIgnoreCase))
        {
            return $"IF({quoted} IS NULL, 'NULL', CAST({quoted} + 0 AS CHAR))";
        }

        return MyRowFormat.IsHexType(type)
            ? $"IF({quoted} IS NULL, 'NULL', CONCAT('X''', HEX({quoted}), ''''))"
            : $"CONVERT(QUOTE({quoted}) USING utf8mb4)";
    }

    /// <summary>The stored (not generated) columns of a table: name, DATA_TYPE, CHARACTER_SET_NAME, whether NULL is allowed.</summary>
    internal static async Task<List<(string Name, string Type, string? Charset, bool Nullable)>> ColumnsAsync(MySqlConnection connection, string database, string table, CancellationToken cancellationToken)
    {
        var columns = new List<(string, string, string?, bool)>();
        await using var command = new MySqlCommand(
            "SELECT COLUMN_NAME, DATA_TYPE, CHARACTER_SET_NAME, IS_NULLABLE, EXTRA FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = @db AND TABLE_NAME = @t ORDER BY ORDINAL_POSITION",
            connection);
        command.Parameters.AddWithValue("@db", database);
        command.Parameters.AddWithValue("@t", table);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!IsGenerated(reader.IsDBNull(4) ? string.Empty : reader.GetString(4)))
            {
                columns.Add((reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetString(3) != "NO"));
            }
        }

        return columns;
    }

    /// <summary>
    /// Whether a column's <c>information_schema.COLUMNS.EXTRA</c> marks it generated (the server computes it, so the
    /// dump leaves it out): <c>VIRTUAL GENERATED</c> or <c>STORED GENERATED</c> (MySQL, MariaDB 10.2 and later),
    /// <c>VIRTUAL</c> or <c>PERSISTENT</c> (earlier MariaDB). MySQL 8's <c>DEFAULT_GENERATED</c> is a stored column with
    /// an expression default (<c>DEFAULT CURRENT_TIMESTAMP</c>, <c>DEFAULT (UUID())</c>): its values are data.
    /// </summary>
    internal static bool IsGenerated(string extra) =>
        extra.Contains("VIRTUAL GENERATED", StringComparison.OrdinalIgnoreCase)
        || extra.Contains("STORED GENERATED", StringComparison.OrdinalIgnoreCase)
        || extra.Equals("VIRTUAL", StringComparison.OrdinalIgnoreCase)
        || extra.Equals("PERSISTENT", StringComparison.OrdinalIgnoreCase);
}
