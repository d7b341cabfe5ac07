using System.Text;
using System.Text.RegularExpressions;

namespace Backup.Providers.PostgreSql;

/// <summary>
/// A pg_dump plain script (a plain dump on its way to psql, a driver-only snapshot's pre- and post-data scripts) without
/// what the restoring role must not or cannot run:
/// <list type="bullet">
/// <item>with <c>noOwner</c>, the ownership statements (<c>ALTER TABLE public.t OWNER TO postgres;</c>), as pg_restore
/// <c>--no-owner</c> leaves them out of the other formats: pg_dump writes each on a line of its own between blank
/// lines, and such a line is held back until the next, which must be blank;</item>
/// <item>for a scratch role (<see cref="PgScratchRole"/>), the entries only a superuser or the objects' grantors could
/// restore and that nothing compared depends on (privileges, default privileges, publications, subscriptions, security
/// labels, event triggers: what pg_restore's <c>--no-privileges</c>, <c>--no-publications</c>, … leave out), each
/// table's <c>FORCE ROW LEVEL SECURITY</c> (the role owns the tables, and its own policies would hide rows from the
/// load and the comparison), and the statements for the extensions made for it (<see cref="PgScratchExtensions"/>).</item>
/// </list>
/// Entries are told apart by pg_dump's header comments (<c>-- Name: …; Type: ACL; …</c>); lines of COPY data are never
/// looked at. Leaving SQL out can only take from what the restoring role does.
/// </summary>
internal sealed partial class PgDumpScriptFilter(Stream inner, bool noOwner, bool scratch, PgScratchExtensions.Prepared? extensions) : LineFilterStream(inner)
{
    private static readonly HashSet<string> ScratchLeavesOut = new(StringComparer.Ordinal)
    {
        "ACL", "DEFAULT ACL", "PUBLICATION", "PUBLICATION TABLE", "PUBLICATION TABLES IN SCHEMA", "SUBSCRIPTION", "SECURITY LABEL", "EVENT TRIGGER",
    };

    private byte[]? _candidate;
    private bool _inCopy;
    private bool _leavingOut;
    private int _blankLines;

    /// <summary><paramref name="script"/> filtered as a stream would be.</summary>
    public static string Apply(string script, bool noOwner, bool scratch, PgScratchExtensions.Prepared? extensions)
    {
        using var output = new MemoryStream();
        using (var filter = new PgDumpScriptFilter(output, noOwner, scratch, extensions))
        {
            var bytes = Encoding.UTF8.GetBytes(script);
            filter.Write(bytes, 0, bytes.Length);
        }

        return Encoding.UTF8.GetString(output.ToArray());
    }

    protected override void OnLine(ReadOnlySpan<byte> line)
    {
        var text = line.TrimEnd("\r\n"u8);
        if (_inCopy)
        {
            Emit(line);
            _inCopy = !text.SequenceEqual("\\."u8);
            return;
        }

        var blank = text.IsEmpty;
        if (_candidate is not null)
        {
            if (!blank)
            {
                Emit(_candidate);
            }

            _candidate = null;
        }

        if (blank)
        {
            Emit(line);
            _blankLines = Math.Min(_blankLines + 1, 2);
            return;
        }

        var previousBlanks = _blankLines;
        _blankLines = 0;
        if (text.StartsWith("--"u8))
        {
            if (scratch && (text.StartsWith("-- Name: "u8) || text.StartsWith("-- Data for Name: "u8)))
            {
                _leavingOut = EntryType().Match(Encoding.UTF8.GetString(text)) is { Success: true } type && ScratchLeavesOut.Contains(type.Groups["type"].Value);
            }

            Emit(line);
            return;
        }

        if (_leavingOut || (scratch && LeftOutForScratch(Encoding.UTF8.GetString(text))))
        {
            return;
        }

        if (noOwner && previousBlanks == 2 && text.StartsWith("ALTER "u8) && PostgreSqlRestorer.OwnerStatement().IsMatch(Encoding.UTF8.GetString(text)))
        {
            _candidate = line.ToArray();
            return;
        }

        _inCopy = text.StartsWith("COPY "u8) && text.EndsWith(" FROM stdin;"u8);
        Emit(line);
    }

    protected override void OnLongLine(ReadOnlySpan<byte> start)
    {
        // Not a statement of interest, and what is held back was not followed by a blank line.
        OnEnd();
        _blankLines = 0;
    }

    protected override void OnEnd()
    {
        if (_candidate is not null)
        {
            Emit(_candidate);
            _candidate = null;
        }
    }

    private bool LeftOutForScratch(string text) =>
        ForceRowSecurity().IsMatch(text) || (extensions is not null && PgScratchExtensions.MadeFor(text, extensions));

    [GeneratedRegex("; Type: (?<type>[A-Z ]+); ")]
    private static partial Regex EntryType();

    [GeneratedRegex(@"^ALTER TABLE (ONLY )?\S.* FORCE ROW LEVEL SECURITY;$")]
    private static partial Regex ForceRowSecurity();
}
