namespace Backup.Providers.MySql;

/// <summary>
/// Reads SQL text as a session in a given <see cref="Mode"/> does (by default the restore's own: backslash escapes
/// on, <c>"</c> quoting a string) to tell code from what only looks like it: quoted strings and names, and comments, except the versioned ones
/// (<c>/*! … */</c>, <c>/*M! … */</c>), whose contents a server may run and so count as code here. Only ASCII
/// whitespace and control characters separate anything, as in the server's lexer: any other character belongs to a word.
/// </summary>
internal static class MySqlCode
{
    /// <summary>What of a session's sql_mode changes how text is read; the default is the restore's sessions' mode.</summary>
    /// <param name="NoBackslashEscapes">NO_BACKSLASH_ESCAPES: a backslash in a string is a character like any other.</param>
    /// <param name="AnsiQuotes">ANSI_QUOTES: <c>"</c> quotes a name, in which a backslash escapes nothing.</param>
    public readonly record struct Mode(bool NoBackslashEscapes, bool AnsiQuotes)
    {
        /// <summary>The mode of a session whose <c>@@SESSION.sql_mode</c> is <paramref name="sqlMode"/> (as the server expands it).</summary>
        public static Mode Of(string sqlMode)
        {
            var flags = sqlMode.Split(',', StringSplitOptions.TrimEntries);
            return new(flags.Contains("NO_BACKSLASH_ESCAPES", StringComparer.OrdinalIgnoreCase), flags.Contains("ANSI_QUOTES", StringComparer.OrdinalIgnoreCase));
        }
    }

    /// <summary>Whether <paramref name="word"/> appears in <paramref name="sql"/> as a keyword or bare name, outside strings, quoted names and comments.</summary>
    public static bool HasWord(string sql, string word, Mode mode = default) => IndexOfWord(sql, word, mode) >= 0;

    /// <summary>Where <paramref name="word"/> first appears in <paramref name="sql"/> as a keyword or bare name, outside strings, quoted names and comments; -1 when it does not.</summary>
    public static int IndexOfWord(string sql, string word, Mode mode = default)
    {
        foreach (var (start, length) in Words(sql, mode))
        {
            if (sql.AsSpan(start, length).Equals(word, StringComparison.OrdinalIgnoreCase))
            {
                return start;
            }
        }

        return -1;
    }

    /// <summary>The keywords and bare names of <paramref name="sql"/> (numbers too), outside strings, quoted names and comments.</summary>
    public static IEnumerable<(int Start, int Length)> Words(string sql, Mode mode = default)
    {
        var i = 0;
        while (i < sql.Length)
        {
            if (CommentEnd(sql, i, versionedToo: false) is { } end)
            {
                i = end;
            }
            else if (sql[i] is '\'' or '"' or '`')
            {
                i = QuoteEnd(sql, i, mode);
            }
            else if (IsWordCharacter(sql[i]))
            {
                var start = i;
                while (i < sql.Length && IsWordCharacter(sql[i]))
                {
                    i++;
                }

                yield return (start, i - start);
            }
            else
            {
                i++;
            }
        }
    }

    /// <summary>Whether <paramref name="sql"/> holds a comment of any kind (versioned ones included) outside strings and quoted names.</summary>
    public static bool HasComment(string sql, Mode mode = default)
    {
        for (var i = 0; i < sql.Length; i++)
        {
            if (CommentEnd(sql, i, versionedToo: true) is not null)
            {
                return true;
            }

            if (sql[i] is '\'' or '"' or '`')
            {
                i = QuoteEnd(sql, i, mode) - 1;
            }
        }

        return false;
    }

    /// <summary>Whether a server reads <paramref name="c"/> as whitespace (ASCII only).</summary>
    public static bool IsSpace(char c) => c is ' ' or '\t' or '\n' or '\r' or '\f' or '\v';

    /// <summary>Just past the comment that starts at <paramref name="i"/>, or null when none does (nor a versioned one, unless <paramref name="versionedToo"/>).</summary>
    private static int? CommentEnd(string sql, int i, bool versionedToo)
    {
        var c = sql[i];
        if (c == '/' && At(sql, i + 1, '*'))
        {
            if (!versionedToo && (At(sql, i + 2, '!') || (At(sql, i + 2, 'M') && At(sql, i + 3, '!'))))
            {
                return null;
            }

            var end = sql.IndexOf("*/", i + 2, StringComparison.Ordinal);
            return end < 0 ? sql.Length : end + 2;
        }

        // "--" starts a comment only before an ASCII space or control character (or the end).
        if (c == '#' || (c == '-' && At(sql, i + 1, '-') && (i + 2 >= sql.Length || sql[i + 2] <= ' ' || sql[i + 2] == '\x7f')))
        {
            var end = sql.IndexOf('\n', i);
            return end < 0 ? sql.Length : end + 1;
        }

        return null;
    }

    /// <summary>Just past the quote that closes the one at <paramref name="start"/> (a doubled quote stays inside; a backslash escapes in strings, unless the mode says not, and never in quoted names).</summary>
    private static int QuoteEnd(string sql, int start, Mode mode)
    {
        var quote = sql[start];
        var escapes = !mode.NoBackslashEscapes && (quote == '\'' || (quote == '"' && !mode.AnsiQuotes));
        for (var i = start + 1; i < sql.Length; i++)
        {
            if (sql[i] == '\\' && escapes)
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
