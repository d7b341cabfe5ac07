namespace Backup.Providers.PostgreSql;

/// <summary>
/// The name a table or sequence goes by in the per-table checksums a snapshot records (and in a parallel restore's
/// plan): one name per relation, and no two relations with the same name.
/// </summary>
/// <remarks>
/// Earlier versions wrote <c>schema.name</c> (a sequence <c>schema.name (sequence)</c>), which is ambiguous: schema
/// <c>a.b</c> with table <c>c</c> and schema <c>a</c> with table <c>b.c</c> are both <c>a.b.c</c>, and a table named
/// <c>t (sequence)</c> reads as the sequence <c>t</c>. That form stays wherever it cannot be ambiguous (no <c>.</c>
/// or <c>"</c> in either part, and a table name that does not end in <c> (sequence)</c>), which is nearly every
/// name, so snapshots written before keep verifying. Any other name is written as quoted SQL identifiers,
/// <c>"a.b"."c"</c>. The two forms never meet: the plain one holds no <c>"</c>, the quoted one always does, and quoted
/// identifiers split one way only. Snapshots written before record no <see cref="MetadataKey"/>; they are measured
/// with the plain form for every name (<c>legacy</c>), as they recorded (such a snapshot could only record
/// checksums when no two of its names clashed: recording them failed on a repeated name).
/// </remarks>
internal static class PgTableKey
{
    /// <summary>The snapshot metadata key that says the checksums use these names; absent in older snapshots.</summary>
    public const string MetadataKey = $"{PostgreSqlSource.KindName}.checksum_names";

    /// <summary>The value of <see cref="MetadataKey"/>.</summary>
    public const string Quoted = "quoted-when-ambiguous";

    private const string SequenceSuffix = " (sequence)";

    /// <summary>Whether <paramref name="snapshotMetadata"/> is of a snapshot that recorded the plain <c>schema.name</c> for every name.</summary>
    public static bool IsLegacy(IReadOnlyDictionary<string, string> snapshotMetadata) =>
        snapshotMetadata.GetValueOrDefault(MetadataKey) != Quoted;

    /// <summary>The name of table <paramref name="schema"/>.<paramref name="name"/>; <paramref name="legacy"/>: always the plain form.</summary>
    public static string Table(string schema, string name, bool legacy = false) =>
        legacy || (Plain(schema) && Plain(name) && !name.EndsWith(SequenceSuffix, StringComparison.Ordinal))
            ? $"{schema}.{name}"
            : $"{PgServer.QuoteIdentifier(schema)}.{PgServer.QuoteIdentifier(name)}";

    /// <summary>The name of sequence <paramref name="schema"/>.<paramref name="name"/>; <paramref name="legacy"/>: always the plain form.</summary>
    public static string Sequence(string schema, string name, bool legacy = false) =>
        (legacy || (Plain(schema) && Plain(name))
            ? $"{schema}.{name}"
            : $"{PgServer.QuoteIdentifier(schema)}.{PgServer.QuoteIdentifier(name)}") + SequenceSuffix;

    /// <summary>Whether <paramref name="key"/> (in either form) names a sequence: a table's never ends in the suffix unquoted.</summary>
    public static bool IsSequence(string key) => key.EndsWith(SequenceSuffix, StringComparison.Ordinal);

    /// <summary>
    /// The schema and name of table key <paramref name="key"/> (not a sequence's): the plain form split at its first
    /// dot, the quoted one as SQL identifiers; null when it is neither (large objects' pseudo-table).
    /// </summary>
    public static (string Schema, string Name)? Parse(string key)
    {
        if (!key.StartsWith('"'))
        {
            var dot = key.IndexOf('.', StringComparison.Ordinal);
            return dot > 0 && dot < key.Length - 1 ? (key[..dot], key[(dot + 1)..]) : null;
        }

        return ReadQuoted(key, 0) is ({ } schema, var next) && next < key.Length && key[next] == '.' && ReadQuoted(key, next + 1) is ({ } name, var end) && end == key.Length
            ? (schema, name)
            : null;
    }

    /// <summary>The quoted identifier at <paramref name="start"/> of <paramref name="text"/> and where it ends; (null, 0) when there is none.</summary>
    private static (string? Identifier, int End) ReadQuoted(string text, int start)
    {
        if (start >= text.Length || text[start] != '"')
        {
            return (null, 0);
        }

        var identifier = new System.Text.StringBuilder();
        for (var i = start + 1; i < text.Length; i++)
        {
            if (text[i] != '"')
            {
                identifier.Append(text[i]);
            }
            else if (i + 1 < text.Length && text[i + 1] == '"')
            {
                identifier.Append('"');
                i++;
            }
            else
            {
                return (identifier.ToString(), i + 1);
            }
        }

        return (null, 0);
    }

    private static bool Plain(string identifier) => identifier.AsSpan().IndexOfAny('.', '"') < 0;
}
