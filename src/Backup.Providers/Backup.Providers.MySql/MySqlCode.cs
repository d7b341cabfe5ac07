namespace Backup.Providers.MySql;

/// <summary>
/// Reads SQL text as the restore's sessions do (backslash escapes on, <c>"</c> quoting a string, no ANSI_QUOTES) to
/// tell code from what only looks like it: quoted strings and names, and comments, except the versioned ones
/// (<c>/*! … */</c>, <c>/*M! … */</c>), whose contents the server runs.
/// </summary>
internal static class MySqlCode
{
    /// <summary>Whether <paramref name="word"/> appears in <paramref name="sql"/> as a keyword or bare name, outside strings, quoted names and comments.</summary>
    public static bool HasWord(string sql, string word) => IndexOfWord(sql, word) >= 0;

    /// <summary>Where <paramref name="word"/> first appears in <paramref name="sql"/> as a keyword or bare name, outside strings, quoted names and comments; -1 when it does not.</summary>
    public static int IndexOfWord(string sql, string word)
    {
        var i = 0;
        while (i < sql.Length)
        {
            var c = sql[i];
            if (c is '\'' or '"' or '`')
            {
                i = QuoteEnd(sql, i);
            }
            else if (c == '/' && At(sql, i + 1, '*') && !At(sql, i + 2, '!') && !(At(sql, i + 2, 'M') && At(sql, i + 3, '!')))
            {
                var end = sql.IndexOf("*/", i + 2, StringComparison.Ordinal);
                i = end < 0 ? sql.Length : end + 2;
            }
            else if (c == '#' || (c == '-' && At(sql, i + 1, '-') && (i + 2 >= sql.Length || char.IsWhiteSpace(sql[i + 2]) || char.IsControl(sql[i + 2]))))
            {
                var end = sql.IndexOf('\n', i);
                i = end < 0 ? sql.Length : end + 1;
            }
            else if (IsWordCharacter(c))
            {
                var start = i;
                while (i < sql.Length && IsWordCharacter(sql[i]))
                {
                    i++;
                }

                if (sql.AsSpan(start, i - start).Equals(word, StringComparison.OrdinalIgnoreCase))
                {
                    return start;
                }
            }
            else
            {
                i++;
            }
        }

        return -1;
    }

    /// <summary>Just past the quote that closes the one at <paramref name="start"/> (a doubled quote stays inside; a backslash escapes in strings, not in backquoted names).</summary>
    private static int QuoteEnd(string sql, int start)
    {
        var quote = sql[start];
        for (var i = start + 1; i < sql.Length; i++)
        {
            if (sql[i] == '\\' && quote != '`')
            {
                i++;
            }
            else if (sql[i] == quote)
            {
                if (!At(sql, i + 1, quote))
                {
                    return i + 1;
                }

                i++;
            }
        }

        return sql.Length;
    }

    private static bool At(string sql, int index, char c) => index < sql.Length && sql[index] == c;

    private static bool IsWordCharacter(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '$' || c > 0x7F;
}
