using System.Text;

namespace Backup.Providers.PostgreSql;

/// <summary>
/// Which post-data entries of a schema archive belong to one table alone (its indexes, and its primary key, unique
/// and exclusion constraints), so a parallel restore can build them as soon as that table's rows are in while other
/// tables still load, as <c>pg_restore -j</c> does for its own data; everything else (foreign keys, triggers, rules,
/// partition index attachments, entries of tables loaded late) stays for the final <c>pg_restore -j</c>.
/// </summary>
/// <remarks>
/// Built from two outputs of pg_restore that need no server: the archive's table of contents (<c>-l</c>, one line per
/// entry with its dump id) and the post-data script (<c>--section=post-data -f -</c>), whose entry headers name the
/// same entries and whose statements name the table. An entry is matched by its type, schema, name and owner;
/// anything not understood keeps the entry in the final pass, and a listing that does not fit the script at all
/// gives an empty plan. A wrong match would only cost speed: an index built before its table's rows are in is
/// still maintained by the COPY, and the locks serialise the two.
/// </remarks>
internal sealed class PostDataPlan
{
    private PostDataPlan(IReadOnlyDictionary<string, IReadOnlyList<string>> early, string rest)
    {
        Early = early;
        Rest = rest;
    }

    /// <summary>No early entries: the whole post-data section in the final pass.</summary>
    public static PostDataPlan None { get; } = new(new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal), string.Empty);

    /// <summary>Per table (by <see cref="PgTableKey.Table"/>: "schema.name" unless that is ambiguous), the listing lines (<c>pg_restore -L</c> input) to restore right after its rows.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Early { get; }

    /// <summary>The listing without the early entries, for the final pass (empty when <see cref="Early"/> is).</summary>
    public string Rest { get; }

    /// <summary>Plans <paramref name="tables"/> (the ones loaded early enough to be worth it) against the archive's <paramref name="listing"/> and <paramref name="postDataScript"/>.</summary>
    public static PostDataPlan Build(string listing, string postDataScript, IReadOnlyCollection<DriverTable> tables)
    {
        if (tables.Count == 0)
        {
            return None;
        }

        // "dumpId; catalogOid objectOid TYPE SCHEMA NAME OWNER": the part after the two oids identifies the entry.
        var lines = listing.Split('\n');
        var byIdentity = new Dictionary<string, int>(StringComparer.Ordinal);
        var duplicates = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < lines.Length; i++)
        {
            var identity = PgArchiveToc.Identity(lines[i]);
            if (identity is not null && !byIdentity.TryAdd(identity, i))
            {
                duplicates.Add(identity);
            }
        }

        var forms = tables.SelectMany(t => PgArchiveToc.QualifiedForms(t.Schema, t.Name).Select(form => (Form: form, Table: PgTableKey.Table(t.Schema, t.Name)))).ToList();
        var entries = PgArchiveToc.Entries(postDataScript);
        if (entries is null)
        {
            return None;
        }

        var early = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var taken = new HashSet<int>();
        foreach (var entry in entries.Where(e => e.Type is "INDEX" or "CONSTRAINT"))
        {
            if (!byIdentity.TryGetValue(entry.Identity, out var line) || duplicates.Contains(entry.Identity))
            {
                return None;
            }

            var owners = forms.Where(f => Names(entry.Type, entry.Statement, f.Form)).Select(f => f.Table).Distinct(StringComparer.Ordinal).ToList();
            if (owners.Count == 1)
            {
                if (!early.TryGetValue(owners[0], out var list))
                {
                    early[owners[0]] = list = [];
                }

                list.Add(lines[line]);
                taken.Add(line);
            }
        }

        if (early.Count == 0)
        {
            return None;
        }

        var rest = new StringBuilder(listing.Length);
        for (var i = 0; i < lines.Length; i++)
        {
            if (!taken.Contains(i))
            {
                rest.Append(lines[i]).Append('\n');
            }
        }

        return new PostDataPlan(early.ToDictionary(p => p.Key, p => (IReadOnlyList<string>)p.Value, StringComparer.Ordinal), rest.ToString());
    }

    /// <summary>Whether the statement of an INDEX or CONSTRAINT entry is on the table written as <paramref name="form"/>.</summary>
    private static bool Names(string type, string statement, string form) => type == "INDEX"
        ? statement.Split('\n').Any(l => l.StartsWith("CREATE ", StringComparison.Ordinal)
            && (l.Contains($" ON {form} USING ", StringComparison.Ordinal) || l.Contains($" ON ONLY {form} USING ", StringComparison.Ordinal)))
        : statement.Split('\n').Any(l => l == $"ALTER TABLE ONLY {form}");
}
