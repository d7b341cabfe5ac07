namespace Backup.Providers.MySql;

/// <summary>
/// Reads SQL text as a session in a given <see cref="Mode"/> does (by default the restore's own: backslash escapes
/// on, <c>"</c> quoting a string) to tell code from what only looks like it: quoted strings and names, and comments.
/// A versioned comment (<c>/*! … */</c>, <c>/*M! … */</c>) is code to some servers and a comment to others, so its
/// contents count as code and its markers as space: whatever either reading could run is seen. Only ASCII whitespace
/// and control characters separate anything, as in the server's lexer: any other character belongs to a word.
/// </summary>
internal static class MySqlCode
{
    /// <summary>What a token of <see cref="Tokens"/> is.</summary>
    public enum TokenKind
    {
        /// <summary>A keyword, a bare name or a number.</summary>
        Word,

        /// <summary>A name in backquotes (or double quotes under ANSI_QUOTES).</summary>
        QuotedName,

        /// <summary>A string literal.</summary>
        String,

        /// <summary>Any other character: punctuation, an operator.</summary>
        Symbol,

        /// <summary>
        /// A versioned comment that servers end in different places: one that skips it stops at the first <c>*/</c>
        /// whatever comes before, while one that runs it reads quotes, comments and nested comments inside. Text after
        /// it may be code to one and a string to the other, so nothing this reader says about it holds.
        /// </summary>
        Ambiguous,
    }

    /// <summary>A token: its kind and where it is.</summary>
    public readonly record struct Token(TokenKind Kind, int Start, int End);

    /// <summary>A <c>name.name</c> of <see cref="DottedNames"/>.</summary>
    /// <param name="Qualifier">The first name, unquoted: a database, or a table before its column.</param>
    /// <param name="First">The first name's token.</param>
    /// <param name="StartsCall">Whether it starts a function call, the first name being the database.</param>
    /// <param name="InPackageCall">Whether it is the <c>package.f</c> of a <c>db.package.f(</c> call.</param>
    public readonly record struct DottedName(string Qualifier, Token First, bool StartsCall, bool InPackageCall);

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
    public static bool HasWord(string sql, string word, Mode mode = default) => Words(sql, mode).Any(w => sql.AsSpan(w.Start, w.End - w.Start).Equals(word, StringComparison.OrdinalIgnoreCase));

    /// <summary>The keywords, bare names and numbers of <paramref name="sql"/>.</summary>
    public static IEnumerable<Token> Words(string sql, Mode mode = default) => Tokens(sql, mode).Where(t => t.Kind == TokenKind.Word);

    /// <summary>
    /// The databases <paramref name="sql"/> names before a dot (<c>db.t</c>, <c>`db`.`t`</c>, <c>db . t</c>, with
    /// comments or versioned-comment markers around the dot), unquoted; a number (<c>1.5</c>) is no database, but
    /// after a dot any word is a name (<c>db.123</c>).
    /// </summary>
    public static IEnumerable<string> Qualifiers(string sql, Mode mode = default) => DottedNames(sql, mode).Select(d => d.Qualifier);

    /// <summary>
    /// Every <c>name.name</c> of <paramref name="sql"/> (see <see cref="Qualifiers"/>), with whether it starts a function
    /// call (<c>db.f(</c>, or <c>db.package.f(</c>, which a server writes for a package member) and whether it is the
    /// <c>package.f(</c> inside such a three-part call.
    /// </summary>
    public static IEnumerable<DottedName> DottedNames(string sql, Mode mode = default)
    {
        var tokens = Tokens(sql, mode).ToList();
        bool Is(int i, char symbol) => i < tokens.Count && tokens[i].Kind == TokenKind.Symbol && sql[tokens[i].Start] == symbol;
        bool IsAnyName(int i) => i < tokens.Count && tokens[i].Kind is TokenKind.Word or TokenKind.QuotedName;
        var packageCall = -1;
        for (var i = 0; i + 2 < tokens.Count; i++)
        {
            if (!IsName(sql, tokens[i]) || !Is(i + 1, '.') || !IsAnyName(i + 2))
            {
                continue;
            }

            var threeParts = Is(i + 3, '.') && IsAnyName(i + 4) && Is(i + 5, '(');
            yield return new(NameOf(sql, tokens[i]), tokens[i], Is(i + 3, '(') || threeParts, i == packageCall);
            if (threeParts)
            {
                packageCall = i + 2;
            }
        }
    }

    /// <summary>The name a <see cref="TokenKind.Word"/> or <see cref="TokenKind.QuotedName"/> token stands for (a doubled quote inside stands for one).</summary>
    public static string NameOf(string sql, Token token) =>
        token.Kind == TokenKind.QuotedName
            ? sql[(token.Start + 1)..(token.End - 1)].Replace(new string(sql[token.Start], 2), sql[token.Start].ToString(), StringComparison.Ordinal)
            : sql[token.Start..token.End];

    /// <summary>Whether <paramref name="sql"/> holds a comment of any kind (versioned ones included) outside strings and quoted names.</summary>
    public static bool HasComment(string sql, Mode mode = default) => FindComment(sql, mode, plainToo: true);

    /// <summary>Whether <paramref name="sql"/> holds a versioned comment outside strings, quoted names and plain comments.</summary>
    public static bool HasVersionedComment(string sql, Mode mode = default) => FindComment(sql, mode, plainToo: false);

    private static bool FindComment(string sql, Mode mode, bool plainToo)
    {
        for (var i = 0; i < sql.Length; i++)
        {
            if (VersionedOpenerEnd(sql, i) is not null)
            {
                return true;
            }

            if (PlainCommentEnd(sql, i) is { } end)
            {
                if (plainToo)
                {
                    return true;
                }

                i = end - 1;
                continue;
            }

            if (sql[i] is '\'' or '"' or '`')
            {
                var close = QuoteEnd(sql, i, mode);
                i = (close < 0 ? sql.Length : close) - 1;
            }
        }

        return false;
    }

    /// <summary>The tokens of <paramref name="sql"/>, comments and whitespace left out; see <see cref="TokenKind.Ambiguous"/>.</summary>
    public static IEnumerable<Token> Tokens(string sql, Mode mode = default)
    {
        var i = 0;

        // Where a server that skips the versioned comment being read ends it (-1: not in one).
        var skippedTo = -1;
        while (i < sql.Length)
        {
            var c = sql[i];
            if (IsSpace(c) || c < ' ')
            {
                i++;
            }
            else if (skippedTo >= 0 && c == '*' && At(sql, i + 1, '/'))
            {
                if (i != skippedTo)
                {
                    yield return new(TokenKind.Ambiguous, i, i + 2);
                }

                skippedTo = -1;
                i += 2;
            }
            else if (VersionedOpenerEnd(sql, i) is { } opened)
            {
                var close = sql.IndexOf("*/", opened, StringComparison.Ordinal);
                if (skippedTo >= 0 || close < 0 || sql.IndexOf("/*", opened, close - opened, StringComparison.Ordinal) >= 0 || !HasAgreedVersion(sql, i))
                {
                    // Nested, unclosed, holding a comment opener, or with a version servers read differently.
                    yield return new(TokenKind.Ambiguous, i, opened);
                }

                skippedTo = close;
                i = opened;
            }
            else if (PlainCommentEnd(sql, i) is { } end)
            {
                if (skippedTo >= 0 && end > skippedTo)
                {
                    yield return new(TokenKind.Ambiguous, i, end);
                }

                i = end;
            }
            else if (c is '\'' or '"' or '`')
            {
                var close = QuoteEnd(sql, i, mode) is var closing and >= 0 ? closing : sql.Length;
                if (skippedTo >= 0 && close > skippedTo)
                {
                    yield return new(TokenKind.Ambiguous, i, close);
                }

                yield return new(c == '`' || (c == '"' && mode.AnsiQuotes) ? TokenKind.QuotedName : TokenKind.String, i, close);
                i = close;
            }
            else if (IsWordCharacter(c))
            {
                var start = i;
                while (i < sql.Length && IsWordCharacter(sql[i]))
                {
                    i++;
                }

                yield return new(TokenKind.Word, start, i);
            }
            else
            {
                yield return new(TokenKind.Symbol, i, ++i);
            }
        }
    }

    /// <summary>Whether a server reads <paramref name="c"/> as whitespace (ASCII only).</summary>
    public static bool IsSpace(char c) => c is ' ' or '\t' or '\n' or '\r' or '\f' or '\v';

    /// <summary>Just past the plain comment (not a versioned one) that starts at <paramref name="i"/>, or null when none does.</summary>
    public static int? PlainCommentEnd(string sql, int i)
    {
        var c = sql[i];
        if (c == '/' && At(sql, i + 1, '*'))
        {
            if (VersionedOpenerEnd(sql, i) is not null)
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

    /// <summary>
    /// Just past the opener of a versioned comment at <paramref name="i"/> (<c>/*!</c> or <c>/*M!</c>, and five or six
    /// version digits), or null. Where servers could read the version differently (six digits after <c>/*!</c>, which
    /// MariaDB takes and MySQL does not; anything but six after <c>/*M!</c>), <see cref="HasAgreedVersion"/> says so,
    /// and such a comment is refused wherever it matters.
    /// </summary>
    public static int? VersionedOpenerEnd(string sql, int i)
    {
        if (!(At(sql, i, '/') && At(sql, i + 1, '*')))
        {
            return null;
        }

        var (at, length) = At(sql, i + 2, '!') ? (i + 3, 5) : At(sql, i + 2, 'M') && At(sql, i + 3, '!') ? (i + 4, 6) : (-1, 0);
        if (at < 0)
        {
            return null;
        }

        return Digits(sql, at) >= length ? at + length : at;
    }

    /// <summary>
    /// Whether every server reads the version of the versioned comment at <paramref name="i"/> alike: <c>/*!</c> with
    /// at most five digits (MariaDB takes a sixth into the version, MySQL leaves it as code), <c>/*M!</c> with exactly
    /// six (MariaDB also takes five there).
    /// </summary>
    private static bool HasAgreedVersion(string sql, int i)
    {
        var mariaDbOnly = At(sql, i + 2, 'M');
        var digits = Digits(sql, i + (mariaDbOnly ? 4 : 3));
        return mariaDbOnly ? digits == 6 : digits <= 5;
    }

    private static int Digits(string sql, int at)
    {
        var count = 0;
        while (at + count < sql.Length && char.IsAsciiDigit(sql[at + count]))
        {
            count++;
        }

        return count;
    }

    /// <summary>Just past the quote that closes the one at <paramref name="start"/> (a doubled quote stays inside; a backslash escapes in strings, unless the mode says not, and never in quoted names); -1 when none does.</summary>
    public static int QuoteEnd(string sql, int start, Mode mode)
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

        return -1;
    }

    /// <summary>A quoted name, or a word that is not all digits (a name may start with one; <c>1.5</c> is a number).</summary>
    private static bool IsName(string sql, Token token) =>
        token.Kind == TokenKind.QuotedName || (token.Kind == TokenKind.Word && sql.AsSpan(token.Start, token.End - token.Start).ContainsAnyExceptInRange('0', '9'));

    private static bool At(string sql, int index, char c) => index < sql.Length && sql[index] == c;

    private static bool IsWordCharacter(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '$' || c > 0x7F;
}
