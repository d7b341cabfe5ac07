using System.Globalization;

namespace Backup.Providers.PostgreSql;

/// <summary>
/// The sequence values a pg_dump output sets (its SEQUENCE SET entries, <c>SELECT pg_catalog.setval('name', value,
/// is_called);</c>), read from the output on its way into the repository. pg_dump reads a sequence when it dumps it, not
/// in the pinned snapshot (sequences are not transactional), so these values, not the ones measured at the pin, are what
/// a restore of the dump sets.
/// </summary>
internal abstract class PgDumpSequenceValues : IToolOutputObserver
{
    private const string SetvalPrefix = "SELECT pg_catalog.setval(";

    // Null marks a sequence set twice: pg_dump never writes that, so neither value is trusted.
    private readonly Dictionary<(string Schema, string Name), DriverSequence?> _values = [];

    /// <summary>Why the output could not be read for its values (an archive version this code does not know, …); null when it was.</summary>
    public string? Problem { get; protected set; }

    /// <summary>
    /// The values found, each sequence's once; none when <see cref="Problem"/> is set. A sequence whose entry was not
    /// found, or found twice, is not here: its checksum stays the one measured at the pin.
    /// </summary>
    public IReadOnlyList<DriverSequence> Values => Problem is null ? [.. _values.Values.OfType<DriverSequence>()] : [];

    /// <summary>The reader for a dump in <paramref name="format"/>.</summary>
    public static PgDumpSequenceValues For(PostgreSqlDumpFormat format) =>
        format == PostgreSqlDumpFormat.Custom ? new PgArchiveSequenceValues() : new PgScriptSequenceValues();

    /// <inheritdoc />
    public abstract void Observe(ReadOnlySpan<byte> chunk);

    /// <summary>The output ended: a reader that was still inside what it reads says so in <see cref="Problem"/>.</summary>
    public abstract void Complete();

    /// <summary>
    /// Takes the SEQUENCE SET entry of <paramref name="schema"/>.<paramref name="name"/>; an entry whose statement does
    /// not set that very sequence (read from the wrong place, or a pg_dump that words it otherwise) is left out.
    /// </summary>
    protected void Add(string schema, string name, string statement)
    {
        if (!TryParseSetval(statement, schema, name, out var value, out var isCalled))
        {
            return;
        }

        var key = (schema, name);
        _values[key] = _values.ContainsKey(key) ? null : new DriverSequence(schema, name, value, isCalled);
    }

    /// <summary>
    /// Reads <c>SELECT pg_catalog.setval('schema.name', value, is_called);</c> as pg_dump writes it for the sequence
    /// <paramref name="schema"/>.<paramref name="name"/> (the name quoted where it needs quotes, as a string literal).
    /// </summary>
    internal static bool TryParseSetval(string statement, string schema, string name, out long value, out bool isCalled)
    {
        value = 0;
        isCalled = false;
        statement = statement.Trim();
        foreach (var qualified in PgArchiveToc.QualifiedForms(schema, name))
        {
            var prefix = $"{SetvalPrefix}'{qualified.Replace("'", "''", StringComparison.Ordinal)}', ";
            if (!statement.StartsWith(prefix, StringComparison.Ordinal) || !statement.EndsWith(");", StringComparison.Ordinal))
            {
                continue;
            }

            var arguments = statement[prefix.Length..^2].Split(", ");
            if (arguments.Length == 2
                && long.TryParse(arguments[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value)
                && arguments[1] is "true" or "false")
            {
                isCalled = arguments[1] == "true";
                return true;
            }
        }

        return false;
    }
}
