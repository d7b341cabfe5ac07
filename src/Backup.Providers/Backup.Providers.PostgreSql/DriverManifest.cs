using System.Globalization;
using System.Text;
using Npgsql;

namespace Backup.Providers.PostgreSql;

/// <summary>What a driver-only dump holds: the tables (in file order) and the sequences' values in the snapshot.</summary>
internal sealed record DriverManifest(int Version, string SchemaSource, IReadOnlyList<DriverTable> Tables, IReadOnlyList<DriverSequence> Sequences)
{
    /// <summary>
    /// The materialized views that held rows in the snapshot (a schema-only archive leaves them unpopulated: the parallel
    /// restore refreshes these); null in snapshots from before it was recorded.
    /// </summary>
    public IReadOnlyList<DriverView>? PopulatedViews { get; init; }

    public static async Task<DriverManifest> ReadAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var tables = new List<DriverTable>();
        await using (var command = new NpgsqlCommand($"""
            SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'r' AND c.relpersistence <> 't' AND {UserSchemaFilter}
            ORDER BY 1, 2
            """, connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                tables.Add(new DriverTable(reader.GetString(0), reader.GetString(1), string.Create(CultureInfo.InvariantCulture, $"{tables.Count:D6}.copy")));
            }
        }

        var sequences = new List<DriverSequence>();
        await using (var command = new NpgsqlCommand("SELECT schemaname, sequencename, coalesce(last_value, start_value), last_value IS NOT NULL FROM pg_sequences WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2", connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                sequences.Add(new DriverSequence(reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetBoolean(3)));
            }
        }

        var views = new List<DriverView>();
        await using (var command = new NpgsqlCommand($"""
            SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'm' AND c.relispopulated AND {UserSchemaFilter}
            ORDER BY 1, 2
            """, connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                views.Add(new DriverView(reader.GetString(0), reader.GetString(1)));
            }
        }

        return new DriverManifest(1, "catalog", tables, sequences) { PopulatedViews = views };
    }

    /// <summary>Each table's size on disk (heap and TOAST), by schema and name: the parallel method reads the largest first.</summary>
    public static async Task<Dictionary<(string Schema, string Name), long>> TableSizesAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var sizes = new Dictionary<(string Schema, string Name), long>();
        await using var command = new NpgsqlCommand($"SELECT n.nspname, c.relname, pg_table_size(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND c.relpersistence <> 't' AND {UserSchemaFilter}", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            sizes[(reader.GetString(0), reader.GetString(1))] = reader.GetInt64(2);
        }

        return sizes;
    }

    /// <summary>User schemas only, and nothing owned by an extension (the extension recreates it).</summary>
    public const string UserSchemaFilter = """
        n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
        """;
}

/// <summary>One table of a driver-only dump and the file holding its binary COPY.</summary>
internal sealed record DriverTable(string Schema, string Name, string File);

/// <summary>A materialized view, by schema and name.</summary>
internal sealed record DriverView(string Schema, string Name);

/// <summary>A sequence's position in the snapshot.</summary>
internal sealed record DriverSequence(string Schema, string Name, long LastValue, bool IsCalled);

/// <summary>
/// The schema rebuilt from the catalog when pg_dump is not available: schemas, sequences, and tables with
/// columns, types, defaults, NOT NULL and primary keys. Nothing else (see <see cref="PostgreSqlBackupMethod.DriverOnly"/>).
/// </summary>
internal static class CatalogSchema
{
    public static async Task<string> BuildAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var sql = new StringBuilder("-- Schema rebuilt from the catalog (driver-only backup, pg_dump unavailable): tables, sequences, primary keys only.\n");
        await using (var command = new NpgsqlCommand("SELECT nspname FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'public') AND nspname NOT LIKE 'pg\\_%' ORDER BY 1", connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                sql.Append(CultureInfo.InvariantCulture, $"CREATE SCHEMA IF NOT EXISTS {PgServer.QuoteIdentifier(reader.GetString(0))};\n");
            }
        }

        await using (var command = new NpgsqlCommand("SELECT schemaname, sequencename, data_type::text, start_value, min_value, max_value, increment_by, cycle, cache_size FROM pg_sequences WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2", connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                sql.Append(CultureInfo.InvariantCulture, $"CREATE SEQUENCE {PgServer.QuoteIdentifier(reader.GetString(0))}.{PgServer.QuoteIdentifier(reader.GetString(1))} AS {reader.GetString(2)} START {reader.GetInt64(3)} MINVALUE {reader.GetInt64(4)} MAXVALUE {reader.GetInt64(5)} INCREMENT {reader.GetInt64(6)}{(reader.GetBoolean(7) ? " CYCLE" : string.Empty)} CACHE {reader.GetInt64(8)};\n");
            }
        }

        var columns = new List<(string Schema, string Table, string Column, string Type, bool NotNull, string? Default)>();
        await using (var command = new NpgsqlCommand($"""
            SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(ad.adbin, ad.adrelid)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            LEFT JOIN pg_attrdef ad ON ad.adrelid = c.oid AND ad.adnum = a.attnum
            WHERE c.relkind = 'r' AND c.relpersistence <> 't' AND {DriverManifest.UserSchemaFilter}
            ORDER BY n.nspname, c.relname, a.attnum
            """, connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                columns.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetBoolean(4), reader.IsDBNull(5) ? null : reader.GetString(5)));
            }
        }

        var keys = new Dictionary<(string, string), string>();
        await using (var command = new NpgsqlCommand("SELECT n.nspname, c.relname, pg_get_constraintdef(k.oid) FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE k.contype = 'p'", connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                keys[(reader.GetString(0), reader.GetString(1))] = reader.GetString(2);
            }
        }

        foreach (var table in columns.GroupBy(c => (c.Schema, c.Table)))
        {
            var definitions = table.Select(c => $"    {PgServer.QuoteIdentifier(c.Column)} {c.Type}{(c.Default is null ? string.Empty : " DEFAULT " + c.Default)}{(c.NotNull ? " NOT NULL" : string.Empty)}").ToList();
            if (keys.TryGetValue(table.Key, out var key))
            {
                definitions.Add("    " + key);
            }

            sql.Append(CultureInfo.InvariantCulture, $"CREATE TABLE {PgServer.QuoteIdentifier(table.Key.Schema)}.{PgServer.QuoteIdentifier(table.Key.Table)} (\n{string.Join(",\n", definitions)}\n);\n");
        }

        return sql.ToString();
    }
}
