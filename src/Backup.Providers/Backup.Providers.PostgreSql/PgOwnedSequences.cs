using Npgsql;

namespace Backup.Providers.PostgreSql;

/// <summary>The sequences tables own: those of their serial columns (OWNED BY) and identity columns.</summary>
internal static class PgOwnedSequences
{
    /// <summary>The schema and name of each sequence one of <paramref name="tables"/> (schema and name) owns in the database <paramref name="connection"/> reaches.</summary>
    public static async Task<IReadOnlyList<(string Schema, string Name)>> OfAsync(NpgsqlConnection connection, IEnumerable<(string Schema, string Name)> tables, CancellationToken cancellationToken)
    {
        var list = tables.ToList();
        if (list.Count == 0)
        {
            return [];
        }

        // deptype 'a': a serial column's sequence (OWNED BY); 'i': an identity column's.
        await using var command = new NpgsqlCommand("""
            SELECT sn.nspname, s.relname
            FROM pg_catalog.pg_depend d
            JOIN pg_catalog.pg_class s ON s.oid = d.objid AND s.relkind = 'S'
            JOIN pg_catalog.pg_namespace sn ON sn.oid = s.relnamespace
            JOIN pg_catalog.pg_class t ON t.oid = d.refobjid
            JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
            JOIN ROWS FROM (pg_catalog.unnest($1::pg_catalog.text[]), pg_catalog.unnest($2::pg_catalog.text[])) AS picked(schema_name, table_name)
              ON picked.schema_name OPERATOR(pg_catalog.=) tn.nspname::pg_catalog.text AND picked.table_name OPERATOR(pg_catalog.=) t.relname::pg_catalog.text
            WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.deptype IN ('a', 'i')
            ORDER BY 1, 2
            """, connection)
        {
            Parameters =
            {
                new() { Value = list.Select(t => t.Schema).ToArray() },
                new() { Value = list.Select(t => t.Name).ToArray() },
            },
        };
        var sequences = new List<(string Schema, string Name)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            sequences.Add((reader.GetString(0), reader.GetString(1)));
        }

        return sequences;
    }
}
