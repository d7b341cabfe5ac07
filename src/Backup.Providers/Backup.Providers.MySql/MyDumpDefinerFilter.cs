namespace Backup.Providers.MySql;

/// <summary>
/// A mariadb-dump script on its way to the <c>mariadb</c> client with each <c>DEFINER=`user`@`host`</c> (views,
/// routines, triggers, events) turned into <c>DEFINER=CURRENT_USER</c>, so that a user without SUPER or SET USER (a
/// scratch user) can restore it, and the objects run as that user. Rows (<c>INSERT INTO</c> lines) and lines longer
/// than <see cref="LineFilterStream.HoldLimit"/> pass untouched; a definer left in one fails the restore with the
/// server's "Access denied".
/// </summary>
internal sealed class MyDumpDefinerFilter(Stream inner) : LineFilterStream(inner)
{
    protected override void OnLine(ReadOnlySpan<byte> line)
    {
        if (line.StartsWith("INSERT INTO "u8))
        {
            Emit(line);
            return;
        }

        while (true)
        {
            var at = line.IndexOf("DEFINER=`"u8);
            var end = at < 0 ? -1 : AccountEnd(line, at + "DEFINER=".Length);
            if (end < 0)
            {
                Emit(line);
                return;
            }

            Emit(line[..at]);
            Emit("DEFINER=CURRENT_USER"u8);
            line = line[end..];
        }
    }

    protected override void OnLongLine()
    {
    }

    /// <summary>Where <c>`user`@`host`</c> (or a role's <c>`role`</c>) starting at <paramref name="start"/> ends; -1 when it is not one.</summary>
    private static int AccountEnd(ReadOnlySpan<byte> line, int start)
    {
        var end = QuotedEnd(line, start);
        if (end > 0 && end + 1 < line.Length && line[end] == (byte)'@' && line[end + 1] == (byte)'`')
        {
            end = QuotedEnd(line, end + 1);
        }

        return end;
    }

    /// <summary>Where the backquoted name at <paramref name="start"/> ends (`` is a backquote inside it); -1 when it does not end on the line.</summary>
    private static int QuotedEnd(ReadOnlySpan<byte> line, int start)
    {
        for (var i = start + 1; i < line.Length; i++)
        {
            if (line[i] != (byte)'`')
            {
                continue;
            }

            if (i + 1 < line.Length && line[i + 1] == (byte)'`')
            {
                i++;
                continue;
            }

            return i + 1;
        }

        return -1;
    }
}
