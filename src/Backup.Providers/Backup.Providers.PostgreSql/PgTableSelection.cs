namespace Backup.Providers.PostgreSql;

/// <summary>
/// The entries of a pg_dump archive that make up some of its tables, for a selective restore (<c>pg_restore -L</c>):
/// each table with its rows, column defaults, constraints and foreign keys, indexes, triggers, policies, rules,
/// comments and grants, and the sequences it owns (serial and identity columns) with their values. pg_restore's own
/// <c>-t</c> takes the table and its rows alone, which leaves a table restored over its original without its primary
/// key, its defaults or its sequence.
/// </summary>
/// <remarks>
/// Built like <see cref="PostDataPlan"/>, from the listing and the schema script (<see cref="PgArchiveToc"/>): an entry
/// belongs to a table when its statement is on that table, in the form pg_dump writes it for the entry's type. Tables
/// are named without their schema, as <c>pg_restore -t</c> names them, so a name matches that table in every schema.
/// </remarks>
internal sealed class PgTableSelection
{
    private PgTableSelection(string listing, IReadOnlyList<(string Schema, string Name)> tables, IReadOnlyList<(string Schema, string Name)> sequences, IReadOnlyList<(string Schema, string Name)> relations, IReadOnlyList<ForeignKey> references, IReadOnlyList<PgTableReplacement.ForeignKey> ownKeys)
    {
        Listing = listing;
        Tables = tables;
        Sequences = sequences;
        Relations = relations;
        References = references;
        OwnForeignKeys = ownKeys;
    }

    /// <summary>
    /// The selected tables' own foreign keys, left out of <see cref="Listing"/>: added after the rows by
    /// <see cref="PgTableReplacement.AddForeignKeysAsync"/>, NOT VALID where the snapshot's rows reference rows the
    /// target no longer has, rather than failing the restore after the tables were replaced.
    /// </summary>
    public IReadOnlyList<PgTableReplacement.ForeignKey> OwnForeignKeys { get; }

    /// <summary>The listing lines to restore, for <c>pg_restore -L</c>.</summary>
    public string Listing { get; }

    /// <summary>The tables selected, by schema and name.</summary>
    public IReadOnlyList<(string Schema, string Name)> Tables { get; }

    /// <summary>The sequences the selected tables own.</summary>
    public IReadOnlyList<(string Schema, string Name)> Sequences { get; }

    /// <summary>
    /// The relations other than the tables that the selected entries create, by schema and name: the sequences, the
    /// indexes, and the indexes of primary key, unique and exclusion constraints. pg_restore --clean drops an index or
    /// a sequence by this name alone, so one of another table that has it must be found before anything changes.
    /// </summary>
    public IReadOnlyList<(string Schema, string Name)> Relations { get; }

    /// <summary>The foreign keys of the selected tables that reference a table outside the selection, which must be in the target database for them to be created.</summary>
    public IReadOnlyList<ForeignKey> References { get; }

    /// <summary>A foreign key of a selected table to a table outside the selection: the table it is on, its name, and the referenced table as the archive writes it (a qualified SQL name).</summary>
    public sealed record ForeignKey(string Table, string Name, string Referenced);

    /// <summary>Selects the tables named <paramref name="names"/> and what belongs to them from the archive's <paramref name="listing"/> and <paramref name="schemaScript"/>.</summary>
    /// <exception cref="DatabaseRestoreException">A name matches no table of the archive, or the archive's script cannot be read.</exception>
    public static PgTableSelection Build(string listing, string schemaScript, IReadOnlyCollection<string> names)
    {
        var entries = PgArchiveToc.Entries(schemaScript)
            ?? throw new DatabaseRestoreException("The snapshot's schema archive lists entries this version cannot read, so single tables cannot be picked from it; restore the whole database into another one (--database) instead.");
        var all = entries.Where(e => e.Type == "TABLE").ToList();
        var tables = Match(names, all, t => (t.Schema, t.Name));
        var forms = tables.SelectMany(t => PgArchiveToc.QualifiedForms(t.Schema, t.Name)).ToList();

        // A partitioned table's rows are in its partitions, and a partition is one only once attached to a parent
        // whose indexes it must join: neither comes back whole on its own.
        var partitioned = tables.Where(t => t.Statement.Contains(") PARTITION BY ", StringComparison.Ordinal))
            .Concat(tables.Where(t => entries.Any(e => e.Type == "TABLE ATTACH" && PgArchiveToc.QualifiedForms(t.Schema, t.Name).Any(f => e.Lines.Any(l => ContainsWord(l, $" ATTACH PARTITION {f}"))))))
            .Select(t => $"{t.Schema}.{t.Name}").Distinct(StringComparer.Ordinal).ToList();
        if (partitioned.Count > 0)
        {
            throw new DatabaseRestoreException(
                $"{string.Join(", ", partitioned)} {(partitioned.Count == 1 ? "is a partitioned table or a partition" : "are partitioned tables or partitions")}, which cannot be restored " +
                "on their own: restore the database into another one (--database NAME) and copy the rows over. Nothing was restored.");
        }

        var identities = new HashSet<string>(StringComparer.Ordinal);
        var sequences = new List<(string Schema, string Name)>();
        var references = new List<ForeignKey>();
        var ownKeys = new List<PgTableReplacement.ForeignKey>();
        var relations = new List<(string Schema, string Name)>();
        foreach (var table in tables)
        {
            identities.Add(table.Identity);
            identities.Add($"TABLE DATA {table.Schema} {table.Name} {table.Owner}");
        }

        foreach (var entry in entries)
        {
            if (entry.Type is "SEQUENCE OWNED BY" && forms.Any(f => entry.Lines.Any(l => l.Contains($" OWNED BY {f}.", StringComparison.Ordinal))))
            {
                sequences.Add((entry.Schema, entry.Name));
            }
            else if (entry.Type is "SEQUENCE" && forms.Any(f => entry.Lines.Any(l => StartsWithWord(l, $"ALTER TABLE {f}") && l.Contains(" ADD GENERATED ", StringComparison.Ordinal))))
            {
                // An identity column's sequence is created by its ALTER TABLE.
                sequences.Add((entry.Schema, entry.Name));
                identities.Add(entry.Identity);
            }
            else if (forms.Any(f => IsOn(entry, f)))
            {
                if (entry.Type == "FK CONSTRAINT" && OwnKey(entry) is { } own)
                {
                    ownKeys.Add(own);
                }
                else
                {
                    identities.Add(entry.Identity);
                }

                if (entry.Type == "INDEX")
                {
                    relations.Add((entry.Schema, entry.Name));
                }
                else if (entry.Type == "CONSTRAINT" && entry.Name.IndexOf(' ', StringComparison.Ordinal) is > 0 and var space
                    && entry.Lines.Any(l => l.Contains(" PRIMARY KEY ", StringComparison.Ordinal) || l.Contains(" UNIQUE ", StringComparison.Ordinal) || l.Contains(" EXCLUDE ", StringComparison.Ordinal)))
                {
                    // "table name": the constraint's index is a relation of that name.
                    relations.Add((entry.Schema, entry.Name[(space + 1)..]));
                }

                if (entry.Type == "FK CONSTRAINT" && Referenced(entry.Statement) is { } referenced && !forms.Contains(referenced))
                {
                    references.Add(new ForeignKey(entry.Name.Split(' ')[0], entry.Name[(entry.Name.IndexOf(' ', StringComparison.Ordinal) + 1)..], referenced));
                }
            }
        }

        foreach (var entry in entries.Where(e => sequences.Contains((e.Schema, e.Name)) && e.Type is "SEQUENCE" or "SEQUENCE OWNED BY"))
        {
            identities.Add(entry.Identity);
            identities.Add($"SEQUENCE SET {entry.Schema} {entry.Name} {entry.Owner}");
        }

        foreach (var entry in entries.Where(e => e.Type is "ACL" or "COMMENT" && sequences.Any(s => e.Schema == s.Schema && e.Name == $"SEQUENCE {s.Name}")))
        {
            identities.Add(entry.Identity);
        }

        var kept = listing.Split('\n').Where(line => PgArchiveToc.Identity(line) is { } identity && identities.Contains(identity));
        return new PgTableSelection(string.Join('\n', kept) + "\n", [.. tables.Select(t => (t.Schema, t.Name))], [.. sequences.Distinct()], [.. sequences.Concat(relations).Distinct()], references, ownKeys);
    }

    /// <summary>
    /// The tables <paramref name="names"/> pick from <paramref name="tables"/>: a name alone picks the table of that
    /// name, "schema.name" the one in that schema (a table whose own name holds the dot first).
    /// </summary>
    /// <exception cref="DatabaseRestoreException">A name picks no table, or a bare name tables in several schemas.</exception>
    public static List<T> Match<T>(IReadOnlyCollection<string> names, IReadOnlyList<T> tables, Func<T, (string Schema, string Name)> key)
    {
        var picked = new List<T>();
        var missing = new List<string>();
        foreach (var name in names)
        {
            var matches = tables.Where(t => key(t).Name == name).ToList();
            if (matches.Count == 0 && name.IndexOf('.', StringComparison.Ordinal) is > 0 and var dot)
            {
                matches = [.. tables.Where(t => key(t).Schema == name[..dot] && key(t).Name == name[(dot + 1)..])];
            }

            if (matches.Count > 1)
            {
                throw new DatabaseRestoreException(
                    $"'{name}' names a table in {matches.Count} schemas ({string.Join(", ", matches.Select(t => $"{key(t).Schema}.{key(t).Name}"))}): name the one to restore with its schema. Nothing was restored.");
            }

            if (matches.Count == 0)
            {
                missing.Add(name);
            }

            picked.AddRange(matches.Where(m => !picked.Contains(m)));
        }

        return missing.Count > 0 ? throw NoSuchTables(missing, tables.Select(t => key(t).Name)) : picked;
    }

    /// <summary>A selected table's own foreign key as a statement to run after its rows are in, or null when the entry is not the one statement pg_dump writes for it (then pg_restore runs it).</summary>
    private static PgTableReplacement.ForeignKey? OwnKey(PgArchiveToc.Entry entry)
    {
        var space = entry.Name.IndexOf(' ', StringComparison.Ordinal);
        if (space <= 0)
        {
            return null;
        }

        var name = entry.Name[(space + 1)..];
        // Comments, blank lines and psql's meta-commands (the script's closing \unrestrict) are not part of it.
        var statement = string.Join('\n', entry.Lines.Where(l => l.Length > 0 && !l.StartsWith("--", StringComparison.Ordinal) && !l.StartsWith('\\'))).TrimEnd();
        var single = statement.StartsWith("ALTER TABLE ", StringComparison.Ordinal) && statement.IndexOf(';', StringComparison.Ordinal) == statement.Length - 1;
        var adds = PgArchiveToc.NameForms(name).Any(form => statement.Contains($" ADD CONSTRAINT {form} FOREIGN KEY ", StringComparison.Ordinal));
        return single && adds ? new PgTableReplacement.ForeignKey($"{entry.Schema}.{entry.Name[..space]}", name, statement[..^1]) : null;
    }

    /// <summary>The error for table names (<paramref name="missing"/>) a snapshot does not have, naming the ones it has (<paramref name="all"/>).</summary>
    public static DatabaseRestoreException NoSuchTables(IReadOnlyCollection<string> missing, IEnumerable<string> all)
    {
        var names = all.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return new DatabaseRestoreException(
            $"The snapshot has no table named {string.Join(", ", missing.Select(n => $"'{n}'"))}. Name tables without their schema, as the snapshot's are named: " +
            $"{(names.Count == 0 ? "it has none" : string.Join(", ", names.Take(20)) + (names.Count > 20 ? $" and {names.Count - 20} more" : ""))}. Nothing was restored.");
    }

    /// <summary>Whether <paramref name="entry"/> is on the table pg_dump writes as <paramref name="form"/>.</summary>
    private static bool IsOn(PgArchiveToc.Entry entry, string form) => entry.Type switch
    {
        "DEFAULT" or "CONSTRAINT" or "FK CONSTRAINT" or "ROW SECURITY" or "CHECK CONSTRAINT" =>
            entry.Lines.Any(l => StartsWithWord(l, $"ALTER TABLE ONLY {form}") || StartsWithWord(l, $"ALTER TABLE {form}")),
        "INDEX" => entry.Lines.Any(l => l.StartsWith("CREATE ", StringComparison.Ordinal)
            && (l.Contains($" ON {form} USING ", StringComparison.Ordinal) || l.Contains($" ON ONLY {form} USING ", StringComparison.Ordinal))),
        "TRIGGER" => entry.Lines.Any(l => l.StartsWith("CREATE ", StringComparison.Ordinal) && l.Contains(" TRIGGER ", StringComparison.Ordinal) && ContainsWord(l, $" ON {form}")),
        "POLICY" => entry.Lines.Any(l => l.StartsWith("CREATE POLICY ", StringComparison.Ordinal) && ContainsWord(l, $" ON {form}")),
        "RULE" => entry.Lines.Any(l => ContainsWord(l, $" TO {form}")),
        "COMMENT" => entry.Lines.Any(l => StartsWithWord(l, $"COMMENT ON TABLE {form}") || l.StartsWith($"COMMENT ON COLUMN {form}.", StringComparison.Ordinal)),
        "ACL" => entry.Lines.Any(l => (l.StartsWith("GRANT ", StringComparison.Ordinal) || l.StartsWith("REVOKE ", StringComparison.Ordinal)) && ContainsWord(l, $" ON TABLE {form}")),
        _ => false,
    };

    /// <summary>The table a foreign key's statement references, as written (<c>REFERENCES public.orders(id)</c> gives <c>public.orders</c>).</summary>
    private static string? Referenced(string statement)
    {
        var at = statement.IndexOf(" REFERENCES ", StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }

        at += " REFERENCES ".Length;
        var end = at;
        var quoted = false;
        while (end < statement.Length && (quoted || statement[end] is not ('(' or ' ' or ';' or '\n')))
        {
            quoted ^= statement[end] == '"';
            end++;
        }

        return statement[at..end];
    }

    private static bool StartsWithWord(string line, string prefix) =>
        line.StartsWith(prefix, StringComparison.Ordinal) && (line.Length == prefix.Length || line[prefix.Length] is ' ' or ';');

    private static bool ContainsWord(string line, string part)
    {
        for (var at = line.IndexOf(part, StringComparison.Ordinal); at >= 0; at = line.IndexOf(part, at + 1, StringComparison.Ordinal))
        {
            var after = at + part.Length;
            if (after == line.Length || line[after] is ' ' or ';' or '(')
            {
                return true;
            }
        }

        return false;
    }
}
