namespace Backup.Providers.MySql;

/// <summary>
/// A mariadb-dump script on its way to the <c>mariadb</c> client with the definer of each view, routine, trigger and
/// event turned into <c>DEFINER=CURRENT_USER</c>, so that a user without SUPER or SET USER (a scratch user) can restore
/// it, and the objects run as that user. Only where mariadb-dump writes a definer is one rewritten, at the start of a
/// line: <c>/*!50013 DEFINER=`u`@`h` SQL SECURITY …*/</c> (views), <c>/*!50003 CREATE*/ /*!50017 DEFINER=`u`@`h`*/</c>
/// (triggers, events, older routines), <c>CREATE DEFINER=`u`@`h` PROCEDURE</c> (routines); names quoted with
/// backquotes or, under ANSI_QUOTES, double quotes. Rows and everything else pass untouched, as do lines longer than
/// <see cref="LineFilterStream.HoldLimit"/>; a definer left anywhere fails the restore with the server's "Access denied".
/// </summary>
internal sealed class MyDumpDefinerFilter(Stream inner) : LineFilterStream(inner)
{
    protected override void OnLine(ReadOnlySpan<byte> line)
    {
        var at = DefinerAt(line);
        var end = at < 0 ? -1 : AccountEnd(line, at + "DEFINER=".Length);
        if (end < 0)
        {
            Emit(line);
            return;
        }

        Emit(line[..at]);
        Emit("DEFINER=CURRENT_USER"u8);
        Emit(line[end..]);
    }

    protected override void OnLongLine(ReadOnlySpan<byte> start)
    {
    }

    /// <summary>Where the definer of a line that starts as mariadb-dump writes one starts; -1 for any other line.</summary>
    private static int DefinerAt(ReadOnlySpan<byte> line)
    {
        if (line.StartsWith("CREATE DEFINER="u8))
        {
            return "CREATE ".Length;
        }

        // "/*!50013 DEFINER=" or "/*!50003 CREATE*/ /*!50017 DEFINER="
        var at = VersionedCommentEnd(line, 0);
        if (at < 0)
        {
            return -1;
        }

        if (line[at..].StartsWith("CREATE*/ "u8))
        {
            at = VersionedCommentEnd(line, at + "CREATE*/ ".Length);
        }

        return at >= 0 && line[at..].StartsWith("DEFINER="u8) ? at : -1;
    }

    /// <summary>Where what follows a "/*!NNNNN " opener at <paramref name="start"/> starts; -1 when there is none.</summary>
    private static int VersionedCommentEnd(ReadOnlySpan<byte> line, int start)
    {
        const int Length = 9; // "/*!" five digits and a space
        if (line.Length < start + Length || !line[start..].StartsWith("/*!"u8) || line[start + 8] != (byte)' ')
        {
            return -1;
        }

        foreach (var digit in line.Slice(start + 3, 5))
        {
            if (digit is < (byte)'0' or > (byte)'9')
            {
                return -1;
            }
        }

        return start + Length;
    }

    /// <summary>Where <c>`user`@`host`</c> (or a role's <c>`role`</c>, or either in double quotes) starting at <paramref name="start"/> ends; -1 when it is not one.</summary>
    private static int AccountEnd(ReadOnlySpan<byte> line, int start)
    {
        var end = QuotedEnd(line, start);
        if (end > 0 && end + 1 < line.Length && line[end] == (byte)'@' && line[end + 1] == line[start])
        {
            end = QuotedEnd(line, end + 1);
        }

        return end;
    }

    /// <summary>Where the name quoted at <paramref name="start"/> (a doubled quote is one inside it) ends; -1 when it is not quoted or does not end on the line.</summary>
    private static int QuotedEnd(ReadOnlySpan<byte> line, int start)
    {
        if (start >= line.Length || line[start] is not ((byte)'`' or (byte)'"'))
        {
            return -1;
        }

        var quote = line[start];
        for (var i = start + 1; i < line.Length; i++)
        {
            if (line[i] != quote)
            {
                continue;
            }

            if (i + 1 < line.Length && line[i + 1] == quote)
            {
                i++;
                continue;
            }

            return i + 1;
        }

        return -1;
    }
}
