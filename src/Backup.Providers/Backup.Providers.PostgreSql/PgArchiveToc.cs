using System.Globalization;
using System.Text;

namespace Backup.Providers.PostgreSql;

/// <summary>
/// Reads the two views pg_restore gives of an archive's table of contents without a server: the listing (<c>-l</c>,
/// one line per entry, <c>dumpId; catalogOid objectOid TYPE SCHEMA NAME OWNER</c>, what <c>-L</c> takes back) and a
/// script (<c>-f -</c>), whose entries start with <c>-- Name: NAME; Type: TYPE; Schema: SCHEMA; Owner: OWNER</c>.
/// Both print the same tag for an entry, so a script entry finds its listing line by "TYPE SCHEMA NAME OWNER", where
/// the listing alone could not be split (types and names hold spaces).
/// </summary>
internal static class PgArchiveToc
{
    private const string HeaderPrefix = "-- Name: ";

    /// <summary>One entry of a script: its type, schema, name and owner as its header gives them, and its statements.</summary>
    public sealed record Entry(string Type, string Schema, string Name, string Owner, string Statement)
    {
        /// <summary>"TYPE SCHEMA NAME OWNER": what the entry's listing line holds after the dump id and oids.</summary>
        public string Identity => $"{Type} {Schema} {Name} {Owner}";

        /// <summary>The statement's lines.</summary>
        public IEnumerable<string> Lines => Statement.Split('\n');
    }

    /// <summary>"TYPE SCHEMA NAME OWNER" of a listing line, or null for comments and blank lines.</summary>
    public static string? Identity(string line)
    {
        line = line.TrimEnd('\r');
        if (line.Length == 0 || line[0] == ';')
        {
            return null;
        }

        var semicolon = line.IndexOf("; ", StringComparison.Ordinal);
        if (semicolon <= 0 || !int.TryParse(line.AsSpan(0, semicolon), NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            return null;
        }

        // Skip the two oids.
        var rest = line[(semicolon + 2)..];
        for (var skip = 0; skip < 2; skip++)
        {
            var space = rest.IndexOf(' ', StringComparison.Ordinal);
            if (space < 0)
            {
                return null;
            }

            rest = rest[(space + 1)..];
        }

        return rest;
    }

    /// <summary>The script's entries, in order; null when a header cannot be read (a format this code does not know).</summary>
    public static List<Entry>? Entries(string script)
    {
        var entries = new List<Entry>();
        string? header = null;
        var statement = new StringBuilder();
        foreach (var raw in script.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.StartsWith(HeaderPrefix, StringComparison.Ordinal))
            {
                if (header is not null && !Add(header, statement.ToString()))
                {
                    return null;
                }

                header = line;
                statement.Clear();
            }
            else if (header is not null)
            {
                statement.Append(line).Append('\n');
            }
        }

        return header is null || Add(header, statement.ToString()) ? entries : null;

        bool Add(string header, string statement)
        {
            // "-- Name: NAME; Type: TYPE; Schema: SCHEMA; Owner: OWNER". A name holding "; Type: " is split wrongly, and
            // its identity then matches no listing line: such an entry is left as if this code did not know its type.
            var typeAt = header.IndexOf("; Type: ", StringComparison.Ordinal);
            var schemaAt = header.IndexOf("; Schema: ", typeAt + 1, StringComparison.Ordinal);
            var ownerAt = header.LastIndexOf("; Owner: ", StringComparison.Ordinal);
            if (typeAt < 0 || schemaAt < 0 || ownerAt < schemaAt)
            {
                return false;
            }

            entries.Add(new Entry(
                header[(typeAt + "; Type: ".Length)..schemaAt],
                header[(schemaAt + "; Schema: ".Length)..ownerAt],
                header[HeaderPrefix.Length..typeAt],
                header[(ownerAt + "; Owner: ".Length)..],
                statement));
            return true;
        }
    }

    /// <summary>The forms pg_dump may write an identifier in: bare when it needs no quotes, and always quoted (a keyword is quoted even when it looks bare; trying both stays unambiguous).</summary>
    public static IEnumerable<string> NameForms(string identifier)
    {
        if (identifier.Length > 0 && (char.IsAsciiLetterLower(identifier[0]) || identifier[0] == '_') && identifier.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_'))
        {
            yield return identifier;
        }

        yield return PgServer.QuoteIdentifier(identifier);
    }

    /// <summary>Every form of <paramref name="schema"/>.<paramref name="name"/> as pg_dump qualifies it.</summary>
    public static IEnumerable<string> QualifiedForms(string schema, string name) =>
        NameForms(schema).SelectMany(s => NameForms(name).Select(n => $"{s}.{n}"));
}
