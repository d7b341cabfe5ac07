using Npgsql;

namespace Backup.Providers.PostgreSql;

/// <summary>
/// What the parallel method needs of a database, and the verifier's side of <see cref="CopyChecksum"/>: every
/// table's binary COPY hashed as the backup hashed it, sequences and large objects as <see cref="PgChecksums"/> does.
/// </summary>
internal static class CopyChecksums
{
    /// <summary>
    /// Why a database cannot take the parallel method, or null when it can: large objects (not in a schema-only
    /// dump) or columns whose binary form names a type by its object id (arrays and records of user-defined types,
    /// which binary COPY cannot load into another database, where the type has another id).
    /// </summary>
    public static async Task<string?> UnsupportedAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"""
            SELECT (SELECT count(*) FROM pg_largeobject_metadata),
                   (SELECT string_agg(x.col, ', ') FROM (
                      SELECT n.nspname || '.' || c.relname || '.' || a.attname AS col
                      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                      JOIN pg_type t ON t.oid = a.atttypid
                      JOIN pg_type b ON b.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
                      LEFT JOIN pg_type e ON e.oid = b.typelem AND b.typlen = -1
                      WHERE c.relkind = 'r' AND c.relpersistence <> 't' AND {DriverManifest.UserSchemaFilter}
                        AND (b.typtype = 'c' OR e.oid >= 16384 OR e.typtype = 'c')
                      ORDER BY 1 LIMIT 5) x)
            """, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var largeObjects = reader.GetInt64(0);
        if (largeObjects > 0)
        {
            return $"it holds {largeObjects} large object(s)";
        }

        return reader.IsDBNull(1) ? null : $"columns hold arrays or records of user-defined types ({reader.GetString(1)})";
    }

    /// <summary>Every table, sequence and the large objects of the database <paramref name="connection"/> is on, measured as a parallel backup measures them.</summary>
    public static Task<List<TableChecksum>> MeasureAsync(NpgsqlConnection connection, CancellationToken cancellationToken) =>
        MeasureAsync(connection, legacyNames: false, cancellationToken);

    /// <summary>As <see cref="MeasureAsync(NpgsqlConnection, CancellationToken)"/>; with <paramref name="legacyNames"/> under the names snapshots written before <see cref="PgTableKey"/> recorded.</summary>
    public static async Task<List<TableChecksum>> MeasureAsync(NpgsqlConnection connection, bool legacyNames, CancellationToken cancellationToken)
    {
        var result = await PgChecksums.MeasureAsync(connection, tables: false, legacyNames, cancellationToken).ConfigureAwait(false);
        var manifest = await DriverManifest.ReadAsync(connection, cancellationToken).ConfigureAwait(false);
        foreach (var table in manifest.Tables)
        {
            var checksum = new CopyChecksum();
            await using (var copy = new ChecksumReadStream(await connection.BeginRawBinaryCopyAsync($"COPY {PgServer.QuoteIdentifier(table.Schema)}.{PgServer.QuoteIdentifier(table.Name)} TO STDOUT (FORMAT binary)", cancellationToken).ConfigureAwait(false), checksum))
            {
                var buffer = new byte[128 * 1024];
                while (await copy.ReadAsync(buffer, cancellationToken).ConfigureAwait(false) > 0)
                {
                }
            }

            result.Add(new TableChecksum { Table = PgTableKey.Table(table.Schema, table.Name, legacyNames), Rows = checksum.Rows, Checksum = checksum.Value });
        }

        return result;
    }
}
