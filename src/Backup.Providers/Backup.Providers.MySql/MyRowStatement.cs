using System.Buffers;
using Backup.Core.Storage;

namespace Backup.Providers.MySql;

/// <summary>
/// Checks a line of a driver-only or parallel dump before the restore sends it to the server: it must be what
/// <see cref="MyDriverData"/> writes, <c>INSERT INTO `t` (`c`, …) VALUES (…),(…);</c> into a table the dump may fill,
/// with nothing but literals in the value lists (<c>NULL</c>, numbers, quoted strings, <c>X'…'</c>). A dump is data:
/// a client that may only add snapshots must not get a statement of its choosing run by whoever restores or drills
/// the snapshot (<c>INSERT …; DROP DATABASE shop</c>, a subquery reading another database, a function call).
/// </summary>
/// <remarks>
/// Strings are read as the restore's session reads them: backslash escapes on (no NO_BACKSLASH_ESCAPES), a quote
/// doubled or escaped stays inside, and the connection's utf8mb4 has no multi-byte character that holds a quote or a
/// backslash.
/// </remarks>
internal static class MyRowStatement
{
    private const string Insert = "INSERT INTO ";

    private static readonly SearchValues<char> StringEnd = SearchValues.Create("'\\");
    private static readonly SearchValues<char> HexDigits = SearchValues.Create("0123456789ABCDEFabcdef");

    /// <summary>
    /// What is wrong with <paramref name="line"/>, or null when it is a row INSERT into one of the tables of
    /// <paramref name="tables"/> as a backup writes it: <c>INSERT INTO `t` (`c`, …) VALUES </c> with the table's stored
    /// columns in order. A column may be left out only when its default reads nothing of the server (a constant, the
    /// time, an auto-increment): snapshots of MySQL 8 from before 1.1 left out columns with expression defaults, and a
    /// server may add an invisible key column. Any other default would be evaluated during the load, and a default can
    /// read who restores and where (<c>CURRENT_USER()</c>, <c>UUID()</c>).
    /// </summary>
    public static string? Problem(string line, IReadOnlyDictionary<string, MyTableColumns> tables)
    {
        var text = line.AsSpan();
        if (!text.StartsWith(Insert, StringComparison.Ordinal))
        {
            return "it is not an INSERT INTO";
        }

        var at = Insert.Length;
        if (Identifier(text, ref at) is not { } table)
        {
            return "it names no table";
        }

        if (!tables.TryGetValue(table, out var columns))
        {
            return $"it inserts into '{BackupKeys.Printable(table)}', which is not a table this file holds";
        }

        if (text.StartsWith(columns.Prefix, StringComparison.Ordinal))
        {
            at = columns.Prefix.Length;
        }
        else if (ColumnListProblem(text, ref at, columns) is { } problem)
        {
            return problem;
        }
        while (true)
        {
            if (!Expect(text, ref at, "("))
            {
                return $"a row does not start at character {at + 1}";
            }

            while (true)
            {
                if (!Literal(text, ref at))
                {
                    return $"character {at + 1} does not start a value a backup writes (NULL, a number, a quoted string or X'…')";
                }

                if (Expect(text, ref at, ")"))
                {
                    break;
                }

                if (!Expect(text, ref at, ","))
                {
                    return $"a value ends without a comma or a closing parenthesis at character {at + 1}";
                }
            }

            if (Expect(text, ref at, ";"))
            {
                return at == text.Length ? null : $"something follows the statement's end at character {at + 1}";
            }

            if (!Expect(text, ref at, ","))
            {
                return $"a row ends without a comma or the statement's end at character {at + 1}";
            }
        }
    }

    /// <summary>A column list other than the whole one: the stored columns in order, each left out one with a harmless default.</summary>
    private static string? ColumnListProblem(ReadOnlySpan<char> text, ref int at, MyTableColumns columns)
    {
        const string Broken = "its column list is not the table's stored columns in order, as a backup writes it";
        if (!Expect(text, ref at, " ("))
        {
            return Broken;
        }

        var next = 0;
        while (true)
        {
            if (Identifier(text, ref at) is not { } name)
            {
                return Broken;
            }

            while (next < columns.Names.Count && !columns.Names[next].Equals(name, StringComparison.Ordinal))
            {
                if (!columns.Omittable[next])
                {
                    return $"it leaves out column '{BackupKeys.Printable(columns.Names[next])}', whose default the load would evaluate";
                }

                next++;
            }

            if (next++ == columns.Names.Count)
            {
                return Broken;
            }

            if (Expect(text, ref at, ") VALUES "))
            {
                break;
            }

            if (!Expect(text, ref at, ", "))
            {
                return Broken;
            }
        }

        for (; next < columns.Names.Count; next++)
        {
            if (!columns.Omittable[next])
            {
                return $"it leaves out column '{BackupKeys.Printable(columns.Names[next])}', whose default the load would evaluate";
            }
        }

        return null;
    }

    /// <summary>A backquoted identifier at <paramref name="at"/> (a doubled backquote stands for one); null when there is none.</summary>
    private static string? Identifier(ReadOnlySpan<char> text, ref int at)
    {
        if (at >= text.Length || text[at] != '`')
        {
            return null;
        }

        var name = new System.Text.StringBuilder();
        var i = at + 1;
        while (i < text.Length)
        {
            if (text[i] == '`')
            {
                if (i + 1 < text.Length && text[i + 1] == '`')
                {
                    name.Append('`');
                    i += 2;
                    continue;
                }

                at = i + 1;
                return name.ToString();
            }

            name.Append(text[i++]);
        }

        return null;
    }

    private static bool Literal(ReadOnlySpan<char> text, ref int at)
    {
        if (at >= text.Length)
        {
            return false;
        }

        switch (text[at])
        {
            case '\'':
                return QuotedString(text, ref at);
            case 'N':
                return Expect(text, ref at, "NULL");
            case 'X' or 'x' when at + 1 < text.Length && text[at + 1] == '\'':
                var end = text[(at + 2)..].IndexOfAnyExcept(HexDigits);
                if (end < 0 || text[at + 2 + end] != '\'')
                {
                    return false;
                }

                at += 3 + end;
                return true;
            default:
                return Number(text, ref at);
        }
    }

    private static bool QuotedString(ReadOnlySpan<char> text, ref int at)
    {
        var i = at + 1;
        while (true)
        {
            var next = text[i..].IndexOfAny(StringEnd);
            if (next < 0)
            {
                return false;
            }

            i += next;
            if (text[i] == '\\' || (i + 1 < text.Length && text[i + 1] == '\''))
            {
                // An escape or a doubled quote: the next character belongs to the string.
                i += 2;
                if (i > text.Length)
                {
                    return false;
                }

                continue;
            }

            at = i + 1;
            return true;
        }
    }

    /// <summary><c>-?digits(.digits)?([eE][+-]?digits)?</c>: the server's text of an integer, a decimal, a double or a year.</summary>
    private static bool Number(ReadOnlySpan<char> text, ref int at)
    {
        var i = at;
        if (i < text.Length && text[i] == '-')
        {
            i++;
        }

        if (!Digits(text, ref i))
        {
            return false;
        }

        if (i < text.Length && text[i] == '.')
        {
            i++;
            if (!Digits(text, ref i))
            {
                return false;
            }
        }

        if (i < text.Length && text[i] is 'e' or 'E')
        {
            i++;
            if (i < text.Length && text[i] is '+' or '-')
            {
                i++;
            }

            if (!Digits(text, ref i))
            {
                return false;
            }
        }

        at = i;
        return true;
    }

    private static bool Digits(ReadOnlySpan<char> text, ref int at)
    {
        var start = at;
        while (at < text.Length && char.IsAsciiDigit(text[at]))
        {
            at++;
        }

        return at > start;
    }

    private static bool Expect(ReadOnlySpan<char> text, ref int at, string expected)
    {
        if (!text[at..].StartsWith(expected, StringComparison.Ordinal))
        {
            return false;
        }

        at += expected.Length;
        return true;
    }
}
