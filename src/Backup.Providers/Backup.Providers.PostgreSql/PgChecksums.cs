using System.Globalization;
using Npgsql;

namespace Backup.Providers.PostgreSql;

/// <summary>Per-table row counts and content checksums, measured the same way at backup and at verification.</summary>
internal static class PgChecksums
{
    /// <summary>
    /// Fixes every setting that changes a row's text form, so the same rows give the same checksum on any server
    /// and session.
    /// </summary>
    public const string SessionSettings =
        "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; SET extra_float_digits = 3; SET bytea_output = 'hex'; SET search_path = pg_catalog";

    /// <summary>User tables (plain and partitions; partitioned parents would count their rows twice), sequences, and large objects as one pseudo-table.</summary>
    public static Task<List<TableChecksum>> MeasureAsync(NpgsqlConnection connection, CancellationToken cancellationToken) =>
        MeasureAsync(connection, tables: true, legacyNames: false, cancellationToken);

    /// <summary>
    /// As <see cref="MeasureAsync(NpgsqlConnection, CancellationToken)"/>; without <paramref name="tables"/> only sequences and large objects (the tables' checksums then come from their COPY streams: <see cref="CopyChecksum"/>);
    /// with <paramref name="legacyNames"/> under the names snapshots written before <see cref="PgTableKey"/> recorded.
    /// </summary>
    public static async Task<List<TableChecksum>> MeasureAsync(NpgsqlConnection connection, bool tables, bool legacyNames, CancellationToken cancellationToken)
    {
        await using (var settings = new NpgsqlCommand(SessionSettings, connection))
        {
            await settings.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        var relations = new List<(string Schema, string Name, char Kind)>();
        await using (var list = new NpgsqlCommand("""
            SELECT n.nspname, c.relname, c.relkind::text
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'S') AND (c.relkind = 'S' OR $1) AND c.relpersistence <> 't'
              AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'
              AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
            ORDER BY 1, 2
            """, connection) { Parameters = { new() { Value = tables } } })
        await using (var reader = await list.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                relations.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2)[0]));
            }
        }

        var result = new List<TableChecksum>(relations.Count + 1);
        foreach (var (schema, name, kind) in relations)
        {
            var qualified = $"{PgServer.QuoteIdentifier(schema)}.{PgServer.QuoteIdentifier(name)}";
            // A sum of per-row hashes: independent of physical row order, constant memory (an ordered string_agg of
            // a big table would sort it and hit the 1 GB value limit), and duplicates still count.
            var sql = kind == 'S'
                ? $"SELECT 1::bigint, md5(last_value::text || ':' || is_called::text) FROM {qualified}"
                : $"SELECT count(*), md5(coalesce(sum(('x' || left(md5(t::text), 16))::bit(64)::bigint::numeric), 0)::text) FROM ONLY {qualified} t";
            result.Add(await QueryAsync(connection, sql, kind == 'S' ? PgTableKey.Sequence(schema, name, legacyNames) : PgTableKey.Table(schema, name, legacyNames), cancellationToken).ConfigureAwait(false));
        }

        var largeObjects = await QueryAsync(connection,
            "SELECT count(*), md5(coalesce(sum(('x' || left(md5(l.oid::text || ':' || md5(lo_get(l.oid))), 16))::bit(64)::bigint::numeric), 0)::text) FROM pg_largeobject_metadata l",
            "(large objects)", cancellationToken).ConfigureAwait(false);
        if (largeObjects.Rows > 0)
        {
            result.Add(largeObjects);
        }

        return result;
    }

    private static async Task<TableChecksum> QueryAsync(NpgsqlConnection connection, string sql, string table, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return new TableChecksum { Table = table, Rows = reader.GetInt64(0), Checksum = reader.GetString(1) };
    }

    public static string FormatVersion(int versionNum) => versionNum >= 100000
        ? $"{versionNum / 10000}.{versionNum % 10000}"
        : string.Create(CultureInfo.InvariantCulture, $"{versionNum / 10000}.{versionNum / 100 % 100}.{versionNum % 100}");
}
