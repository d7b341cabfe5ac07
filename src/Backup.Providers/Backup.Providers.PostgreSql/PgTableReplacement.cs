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
    /// <summary>A foreign key to add after the rows: the table it is on and its name (for messages), and the statement that adds it (without its semicolon).</summary>
    public sealed record ForeignKey(string Table, string Name, string Statement);

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
        LEFT JOIN pg_constraint k ON d.classid = 'pg_constraint'::regclass AND k.oid = d.objid AND k.conparentid = 0
        LEFT JOIN pg_attrdef a ON d.classid = 'pg_attrdef'::regclass AND a.oid = d.objid
        WHERE d.deptype = 'n'
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE d.classid = 'pg_constraint'::regclass AND c.oid = d.objid AND c.conparentid <> 0)
          AND (k.conrelid IS NULL OR k.conrelid NOT IN (SELECT oid FROM sel))
          AND (a.adrelid IS NULL OR a.adrelid NOT IN (SELECT oid FROM sel))
          AND NOT (d.classid = 'pg_class'::regclass AND d.objid IN (SELECT oid FROM sel))
        ORDER BY 1
        """;

    // Relations named like one the restore creates (an index, a sequence; by schema and name) that are not the
    // tables' own, so neither go with their DROP ... CASCADE: pg_restore --clean would drop an index or a sequence of
    // that name whatever it now belongs to (a unique index of another table, a sequence an application draws from),
    // or, when something depends on it, fail after the tables were dropped.
    private const string InTheWayQuery = """
        SELECT pg_describe_object('pg_class'::regclass, c.oid, 0) || coalesce(' of table ' || i.indrelid::regclass::text, '')
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN unnest($1::text[], $2::text[]) AS t(s, r) ON n.nspname = t.s AND c.relname = t.r
        LEFT JOIN pg_index i ON i.indexrelid = c.oid
        WHERE NOT c.oid = ANY($3)
          AND NOT coalesce(i.indrelid = ANY($3), false)
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
              AND d.refclassid = 'pg_class'::regclass AND d.refobjid = ANY($3) AND d.deptype IN ('a', 'i'))
        ORDER BY 1
        """;

    /// <summary>
    /// Drops those of <paramref name="tables"/> that exist in <paramref name="connection"/>'s database, with the foreign
    /// keys of other tables on them; returns those keys, for <see cref="AddForeignKeysAsync"/>. Refuses first when
    /// one of <paramref name="relations"/> (the indexes and sequences the restore creates) exists but is not the
    /// tables' own.
    /// </summary>
    /// <exception cref="DatabaseRestoreException">Something other than a foreign key depends on the tables (a view, a column of their type, a default on their sequence), or a relation of another table has the name of one the restore creates; nothing was dropped.</exception>
    public static async Task<IReadOnlyList<ForeignKey>> DropAsync(NpgsqlConnection connection, string database, IReadOnlyList<(string Schema, string Name)> tables, IReadOnlyList<(string Schema, string Name)> relations, CancellationToken cancellationToken)
    {
        await UseCatalogPathAsync(connection, cancellationToken).ConfigureAwait(false);

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
            await RefuseInTheWayAsync().ConfigureAwait(false);
            return [];
        }

        // Locked before the look: a view or key created on the tables meanwhile would otherwise go with the CASCADE.
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        string existing;
        await using (var qualify = new NpgsqlCommand("SELECT string_agg(c::regclass::text, ', ') FROM unnest($1::oid[]) AS c", connection) { Parameters = { Oids() } })
        {
            existing = (string)(await qualify.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }

        await using (var lockTables = new NpgsqlCommand($"LOCK TABLE {existing} IN ACCESS EXCLUSIVE MODE", connection) { CommandTimeout = 0 })
        {
            await lockTables.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await RefuseInTheWayAsync().ConfigureAwait(false);
        var keys = new List<ForeignKey>();
        var blocking = new List<string>();
        await using (var dependents = new NpgsqlCommand(DependentsQuery, connection) { Parameters = { Oids() } })
        await using (var reader = await dependents.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (!reader.IsDBNull(1) && reader.GetBoolean(1))
                {
                    keys.Add(new ForeignKey(reader.GetString(2), reader.GetString(3), $"ALTER TABLE {reader.GetString(2)} ADD CONSTRAINT {PgServer.QuoteIdentifier(reader.GetString(3))} {reader.GetString(4)}"));
                }
                else
                {
                    blocking.Add(reader.GetString(0));
                }
            }
        }

        // Parts of the table that CASCADE drops without asking and no archive entry of the table brings back; and
        // partitions and inheritance children, which go with their parent without CASCADE (they depend on it as parts)
        // while a restore of the parent alone would bring back none of their rows.
        await using (var parts = new NpgsqlCommand("""
            SELECT 'publication ' || p.pubname || ' (it publishes ' || r.prrelid::regclass::text || ')' FROM pg_publication_rel r JOIN pg_publication p ON p.oid = r.prpubid WHERE r.prrelid = ANY($1)
            UNION ALL SELECT 'statistics object ' || s.stxname || ' on ' || s.stxrelid::regclass::text FROM pg_statistic_ext s WHERE s.stxrelid = ANY($1)
            UNION ALL SELECT 'table ' || c.oid::regclass::text || ' itself, a partitioned table or a partition' FROM pg_class c WHERE c.oid = ANY($1) AND (c.relkind = 'p' OR c.relispartition)
            UNION ALL SELECT 'table ' || i.inhrelid::regclass::text || ' (a partition or child of ' || i.inhparent::regclass::text || ')' FROM pg_inherits i WHERE i.inhparent = ANY($1) AND NOT i.inhrelid = ANY($1)
            ORDER BY 1
            """, connection) { Parameters = { Oids() } })
        {
            blocking.AddRange(await TextColumnAsync(parts, cancellationToken).ConfigureAwait(false));
        }

        if (blocking.Count > 0)
        {
            throw new DatabaseRestoreException(
                $"Restoring {Describe(tables)} over the one(s) in database '{database}' would drop what depends on them: {FirstTen(blocking)}. Nothing was changed. Restore into another database (--database) and copy the rows over, " +
                "or drop those objects first and create them again after the restore.");
        }

        await using (var drop = new NpgsqlCommand($"DROP TABLE {existing} CASCADE", connection) { CommandTimeout = 0 })
        {
            await drop.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return keys;

        NpgsqlParameter Oids() => new() { Value = oids.ToArray(), DataTypeName = "oid[]" };

        async Task RefuseInTheWayAsync()
        {
            if (relations.Count == 0)
            {
                return;
            }

            await using var query = new NpgsqlCommand(InTheWayQuery, connection)
            {
                Parameters = { new() { Value = relations.Select(r => r.Schema).ToArray() }, new() { Value = relations.Select(r => r.Name).ToArray() }, Oids() },
            };
            var inTheWay = await TextColumnAsync(query, cancellationToken).ConfigureAwait(false);
            if (inTheWay.Count > 0)
            {
                throw new DatabaseRestoreException(
                    $"Restoring {Describe(tables)} into database '{database}' would drop or collide with what has the name of one of their indexes or sequences there but is not theirs: {FirstTen(inTheWay)}. " +
                    "Nothing was changed. Rename those objects, or restore into another database (--database) and copy the rows over.");
            }
        }
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

        await UseCatalogPathAsync(connection, cancellationToken).ConfigureAwait(false);

        var notValid = new List<ForeignKey>();
        var failed = new List<(ForeignKey Key, string Error)>();
        foreach (var key in keys)
        {
            try
            {
                await using var command = new NpgsqlCommand(key.Statement, connection) { CommandTimeout = 0 };
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.ForeignKeyViolation)
            {
                try
                {
                    await using var command = new NpgsqlCommand(key.Statement + " NOT VALID", connection) { CommandTimeout = 0 };
                    await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    notValid.Add(key);
                }
                catch (PostgresException again)
                {
                    failed.Add((key, again.MessageText));
                }
            }
            catch (PostgresException ex)
            {
                // One key that cannot be added must not cost the ones after it.
                failed.Add((key, ex.MessageText));
            }
        }

        if (notValid.Count > 0 || failed.Count > 0)
        {
            var message = new System.Text.StringBuilder($"The tables were restored in database '{database}', but");
            if (notValid.Count > 0)
            {
                message.Append(System.Globalization.CultureInfo.InvariantCulture,
                    $" rows reference rows the other side does not have, so these foreign keys were added NOT VALID (they hold for new rows only): {string.Join(", ", notValid.Select(k => $"{k.Name} on {k.Table}"))}; correct those rows, then run ALTER TABLE … VALIDATE CONSTRAINT for each");
            }

            if (failed.Count > 0)
            {
                message.Append(notValid.Count > 0 ? "; and" : string.Empty).Append(System.Globalization.CultureInfo.InvariantCulture,
                    $" these foreign keys could not be added back: {string.Join("; ", failed.Select(f => $"{f.Key.Name} on {f.Key.Table} ({f.Error}): {f.Key.Statement};"))}");
            }

            throw new DatabaseRestoreException(message.Append('.').ToString());
        }
    }

    /// <summary>The first column of every row <paramref name="query"/> returns, as text.</summary>
    private static async Task<List<string>> TextColumnAsync(NpgsqlCommand query, CancellationToken cancellationToken)
    {
        var values = new List<string>();
        await using var reader = await query.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }

    /// <summary>The first ten of <paramref name="names"/>, and how many more, for a message.</summary>
    private static string FirstTen(List<string> names) =>
        string.Join(", ", names.Take(10)) + (names.Count > 10 ? $" and {names.Count - 10} more" : "");

    /// <summary>The statements that add <paramref name="keys"/> back, for a failure after the tables were dropped: what an operator runs once the tables are there again.</summary>
    public static string Lost(IReadOnlyList<ForeignKey> keys) =>
        keys.Count == 0 ? string.Empty
        : $" The replaced tables' foreign keys from other tables were dropped with them and are not back; once the tables are, add them with: {string.Join(" ", keys.Select(k => k.Statement + ";"))}";

    /// <summary>Qualifies every name this session's regclass text and constraint definitions give with its schema.</summary>
    private static async Task UseCatalogPathAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var path = new NpgsqlCommand("SET search_path = pg_catalog", connection);
        await path.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static string Describe(IReadOnlyList<(string Schema, string Name)> tables) =>
        (tables.Count == 1 ? "table " : "tables ") + string.Join(", ", tables.Select(t => $"{t.Schema}.{t.Name}"));
}
