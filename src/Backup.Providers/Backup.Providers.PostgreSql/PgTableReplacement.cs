using Npgsql;

namespace Backup.Providers.PostgreSql;

/// <summary>
/// Replaces some tables of a live database with a snapshot's (a selective restore with Clean) without taking anything
/// else with them. Dropping a table with CASCADE also drops the foreign keys of other tables that reference it, the
/// views over it, and columns of its row type; a restore of that table alone would never bring those back. So before
/// anything is dropped, everything outside the selection that depends on the tables is looked up: foreign keys are
/// kept to be added again once the tables are back, and anything else stops the restore, naming it, with nothing
/// changed.
/// </summary>
internal static class PgTableReplacement
{
    /// <summary>A foreign key of another table on a replaced one: the table it is on (a qualified SQL name), its name and its definition.</summary>
    public sealed record ForeignKey(string Table, string Name, string Definition);

    // Objects that depend (normally, not as a part) on the tables, their row and array types, or the sequences they
    // own, other than the tables' own constraints and column defaults. Run with search_path = pg_catalog, so that
    // regclass text and constraint definitions come out schema-qualified.
    private const string DependentsQuery = """
        WITH sel AS (SELECT unnest($1::oid[]) AS oid),
        owned AS (
            SELECT 'pg_class'::regclass AS classid, oid FROM sel
            UNION SELECT 'pg_type'::regclass, c.reltype FROM pg_class c WHERE c.oid IN (SELECT oid FROM sel)
            UNION SELECT 'pg_type'::regclass, t.typarray FROM pg_class c JOIN pg_type t ON t.oid = c.reltype WHERE c.oid IN (SELECT oid FROM sel)
            UNION SELECT 'pg_class'::regclass, d.objid FROM pg_depend d JOIN pg_class s ON s.oid = d.objid
                WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.refobjid IN (SELECT oid FROM sel)
                AND d.deptype IN ('a', 'i') AND s.relkind = 'S')
        SELECT DISTINCT pg_describe_object(d.classid, d.objid, 0), k.contype = 'f', k.conrelid::regclass::text, k.conname, pg_get_constraintdef(k.oid)
        FROM pg_depend d JOIN owned o ON d.refclassid = o.classid AND d.refobjid = o.oid
        LEFT JOIN pg_constraint k ON d.classid = 'pg_constraint'::regclass AND k.oid = d.objid
        LEFT JOIN pg_attrdef a ON d.classid = 'pg_attrdef'::regclass AND a.oid = d.objid
        WHERE d.deptype = 'n'
          AND (k.conrelid IS NULL OR k.conrelid NOT IN (SELECT oid FROM sel))
          AND (a.adrelid IS NULL OR a.adrelid NOT IN (SELECT oid FROM sel))
          AND NOT (d.classid = 'pg_class'::regclass AND d.objid IN (SELECT oid FROM sel))
        ORDER BY 1
        """;

    /// <summary>
    /// Drops those of <paramref name="tables"/> that exist in <paramref name="connection"/>'s database, with the foreign
    /// keys of other tables on them; returns those keys, for <see cref="AddForeignKeysAsync"/>.
    /// </summary>
    /// <exception cref="DatabaseRestoreException">Something other than a foreign key depends on the tables (a view, a column of their type, a default on their sequence); nothing was dropped.</exception>
    public static async Task<IReadOnlyList<ForeignKey>> DropAsync(NpgsqlConnection connection, string database, IReadOnlyList<(string Schema, string Name)> tables, CancellationToken cancellationToken)
    {
        await using (var path = new NpgsqlCommand("SET search_path = pg_catalog", connection))
        {
            await path.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        var oids = new List<uint>();
        await using (var find = new NpgsqlCommand(
            "SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN unnest($1::text[], $2::text[]) AS t(s, r) ON n.nspname = t.s AND c.relname = t.r WHERE c.relkind IN ('r', 'p')",
            connection))
        {
            find.Parameters.Add(new() { Value = tables.Select(t => t.Schema).ToArray() });
            find.Parameters.Add(new() { Value = tables.Select(t => t.Name).ToArray() });
            await using var reader = await find.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                oids.Add(reader.GetFieldValue<uint>(0));
            }
        }

        if (oids.Count == 0)
        {
            return [];
        }

        // Locked before the look: a view or key created on the tables meanwhile would otherwise go with the CASCADE.
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        string existing;
        await using (var qualify = new NpgsqlCommand("SELECT string_agg(c::regclass::text, ', ') FROM unnest($1::oid[]) AS c", connection) { Parameters = { new() { Value = oids.ToArray(), DataTypeName = "oid[]" } } })
        {
            existing = (string)(await qualify.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }

        await using (var lockTables = new NpgsqlCommand($"LOCK TABLE {existing} IN ACCESS EXCLUSIVE MODE", connection) { CommandTimeout = 0 })
        {
            await lockTables.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        var keys = new List<ForeignKey>();
        var blocking = new List<string>();
        await using (var dependents = new NpgsqlCommand(DependentsQuery, connection) { Parameters = { new() { Value = oids.ToArray(), DataTypeName = "oid[]" } } })
        await using (var reader = await dependents.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (!reader.IsDBNull(1) && reader.GetBoolean(1))
                {
                    keys.Add(new ForeignKey(reader.GetString(2), reader.GetString(3), reader.GetString(4)));
                }
                else
                {
                    blocking.Add(reader.GetString(0));
                }
            }
        }

        if (blocking.Count > 0)
        {
            throw new DatabaseRestoreException(
                $"Restoring {Describe(tables)} over the one(s) in database '{database}' would drop what depends on them: {string.Join(", ", blocking.Take(10))}" +
                $"{(blocking.Count > 10 ? $" and {blocking.Count - 10} more" : "")}. Nothing was changed. Restore into another database (--database) and copy the rows over, " +
                "or drop those objects first and create them again after the restore.");
        }

        await using (var drop = new NpgsqlCommand($"DROP TABLE {existing} CASCADE", connection) { CommandTimeout = 0 })
        {
            await drop.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return keys;
    }

    /// <summary>
    /// Adds <paramref name="keys"/> (from <see cref="DropAsync"/>) back. A key that the restored rows no longer satisfy
    /// (rows of the other table reference rows the snapshot did not have) is added NOT VALID, so it holds for rows
    /// written from now on, and the restore then fails naming it.
    /// </summary>
    /// <exception cref="DatabaseRestoreException">A key could be added only NOT VALID.</exception>
    public static async Task AddForeignKeysAsync(NpgsqlConnection connection, string database, IReadOnlyList<ForeignKey> keys, CancellationToken cancellationToken)
    {
        if (keys.Count == 0)
        {
            return;
        }

        await using (var path = new NpgsqlCommand("SET search_path = pg_catalog", connection))
        {
            await path.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        var notValid = new List<ForeignKey>();
        foreach (var key in keys)
        {
            var add = $"ALTER TABLE {key.Table} ADD CONSTRAINT {PgServer.QuoteIdentifier(key.Name)} {key.Definition}";
            try
            {
                await using var command = new NpgsqlCommand(add, connection) { CommandTimeout = 0 };
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.ForeignKeyViolation)
            {
                await using var command = new NpgsqlCommand(add + " NOT VALID", connection) { CommandTimeout = 0 };
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                notValid.Add(key);
            }
        }

        if (notValid.Count > 0)
        {
            throw new DatabaseRestoreException(
                $"The tables were restored in database '{database}', but rows of other tables reference rows the snapshot does not have, so these foreign keys were added back NOT VALID " +
                $"(they hold for new rows only): {string.Join(", ", notValid.Select(k => $"{k.Name} on {k.Table}"))}. Correct those rows, then run ALTER TABLE … VALIDATE CONSTRAINT for each.");
        }
    }

    private static string Describe(IReadOnlyList<(string Schema, string Name)> tables) =>
        (tables.Count == 1 ? "table " : "tables ") + string.Join(", ", tables.Select(t => $"{t.Schema}.{t.Name}"));
}
