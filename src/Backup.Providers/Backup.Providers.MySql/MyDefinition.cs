using Backup.Core.Storage;
using MySqlConnector;

namespace Backup.Providers.MySql;

/// <summary>
/// Runs a schema statement from a driver-only or parallel dump's manifest only when it is what a backup writes there:
/// a CREATE of the kind and name the manifest lists it under, in the database being restored (no database before the
/// name), and one statement. The server decides the last, parsing the text as a prepared statement first (a prepared
/// statement holds exactly one, and preparing runs nothing). A client that may only add snapshots must not get
/// <c>CREATE TABLE t (…); DROP DATABASE shop</c>, a <c>GRANT</c> listed as a routine, or a trigger on another
/// database run by whoever restores or drills the snapshot.
/// </summary>
/// <remarks>
/// What a routine, trigger, event or view does once it exists is the snapshot's code, as in any dump: it runs with
/// the privileges of the user that restored it (the DEFINER is dropped). docs/databases.md says how to restore and
/// drill with a user that may only touch the databases it creates.
/// </remarks>
internal static class MyDefinition
{
    private const int ParseError = 1064;
    private const int NotPreparable = 1295;

    private static readonly HashSet<string> TableEngines = new(StringComparer.OrdinalIgnoreCase) { "InnoDB", "MyISAM", "Aria", "MEMORY", "HEAP", "ARCHIVE", "CSV", "BLACKHOLE", "ROCKSDB" };

    /// <summary>What a manifest entry creates.</summary>
    public enum Kind
    {
        /// <summary>A base table (<c>SHOW CREATE TABLE</c>).</summary>
        Table,

        /// <summary>A view.</summary>
        View,

        /// <summary>A procedure or function.</summary>
        Routine,

        /// <summary>A trigger.</summary>
        Trigger,

        /// <summary>An event.</summary>
        Event,
    }

    /// <summary>Checks <paramref name="statement"/> (the entry <paramref name="name"/> of the manifest's <paramref name="kind"/> list, DEFINER dropped), read as a session in <paramref name="mode"/> reads it, and runs it.</summary>
    /// <exception cref="DatabaseRestoreException">The statement is not what a backup writes for that entry.</exception>
    public static async Task ExecuteAsync(MySqlConnection connection, string statement, Kind kind, string name, MySqlCode.Mode mode, CancellationToken cancellationToken)
    {
        Check(statement, kind, name, connection.Database, mode);
        await ExecuteOneAsync(connection, statement, $"the definition of {Describe(kind)} '{BackupKeys.Printable(name)}'", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Checks what the client can of <paramref name="statement"/>: a CREATE of <paramref name="kind"/> named
    /// <paramref name="name"/>, in <paramref name="database"/> (the one being restored) if it names a database at all.
    /// </summary>
    /// <exception cref="DatabaseRestoreException">It is not.</exception>
    public static void Check(string statement, Kind kind, string name, string database, MySqlCode.Mode mode = default)
    {
        if (Problem(statement, kind, name, database, mode) is { } problem)
        {
            throw DumpDirectory.Damaged($"The dump's manifest lists {Describe(kind)} '{BackupKeys.Printable(name)}' with a statement that is not its definition as a backup writes it ({problem})");
        }
    }

    /// <summary>Runs <paramref name="statement"/> (built by the restore from a checked definition) once the server has parsed it as one statement.</summary>
    public static async Task ExecuteOneAsync(MySqlConnection connection, string statement, string what, CancellationToken cancellationToken)
    {
        // The text travels as hex, which reads the same under every sql_mode the manifest may have set (quotes and
        // backslashes in a string literal would not).
        var hex = Convert.ToHexString(System.Text.Encoding.UTF8.GetBytes(statement));
        await using (var prepare = new MySqlCommand($"SET @backup_statement = CONVERT(X'{hex}' USING utf8mb4); PREPARE backup_restore_check FROM @backup_statement", connection))
        {
            try
            {
                await prepare.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                await MyDriverRestore.ExecuteAsync(connection, "DEALLOCATE PREPARE backup_restore_check; SET @backup_statement = NULL", cancellationToken).ConfigureAwait(false);
            }
            catch (MySqlException ex) when (ex.Number == ParseError)
            {
                throw DumpDirectory.Damaged($"The dump's manifest holds {what} that is not one statement this server can parse ({BackupKeys.Printable(ex.Message)}); a backup writes one statement per object, so it was altered, or it comes from a server whose syntax this one does not know");
            }
            catch (MySqlException ex) when (ex.Number == NotPreparable)
            {
                // The server parsed all of it as one statement before finding that it cannot prepare that kind (MySQL's CREATE PROCEDURE).
            }
        }

        await MyDriverRestore.ExecuteAsync(connection, statement, cancellationToken).ConfigureAwait(false);
    }

    private static string Describe(Kind kind) => kind switch
    {
        Kind.Table => "table",
        Kind.View => "view",
        Kind.Routine => "routine",
        Kind.Trigger => "trigger",
        _ => "event",
    };

    /// <summary>
    /// What is wrong with <paramref name="statement"/> (null: nothing) as SHOW CREATE writes the entry: <c>CREATE</c>, the clauses it
    /// puts before the kind, the kind, the name (in <paramref name="database"/> if qualified), with no comment anywhere
    /// in that header; a routine's parameter list right after its name; a table without the options that reach beyond
    /// it; an event's schedule without comments (the status a test restore changes is there).
    /// </summary>
    public static string? Problem(string statement, Kind kind, string name, string database, MySqlCode.Mode mode = default)
    {
        var at = 0;
        if (!Word(statement, ref at).Equals("CREATE", StringComparison.OrdinalIgnoreCase))
        {
            return "it does not start with CREATE";
        }

        string word;
        while (true)
        {
            word = Word(statement, ref at).ToUpperInvariant();
            var clause = word switch
            {
                "OR" => Word(statement, ref at).Equals("REPLACE", StringComparison.OrdinalIgnoreCase),
                "ALGORITHM" => Symbol(statement, ref at, '=') && Word(statement, ref at).ToUpperInvariant() is "UNDEFINED" or "MERGE" or "TEMPTABLE",
                "SQL" => Word(statement, ref at).Equals("SECURITY", StringComparison.OrdinalIgnoreCase) && Word(statement, ref at).ToUpperInvariant() is "DEFINER" or "INVOKER",
                "AGGREGATE" => true,
                _ => (bool?)null,
            };
            if (clause is null)
            {
                break;
            }

            if (clause == false)
            {
                return $"'{BackupKeys.Printable(word)}' starts no clause SHOW CREATE writes";
            }
        }

        var expected = kind switch
        {
            Kind.Table => word is "TABLE",
            Kind.View => word is "VIEW",
            Kind.Routine => word is "PROCEDURE" or "FUNCTION" or "PACKAGE",
            Kind.Trigger => word is "TRIGGER",
            _ => word is "EVENT",
        };
        if (!expected)
        {
            return $"it is a CREATE {BackupKeys.Printable(word)}";
        }

        if (word is "PACKAGE")
        {
            SkipWords(statement, ref at, "BODY");
        }

        // A trigger's statement is kept as its author wrote it, which may say IF NOT EXISTS.
        SkipWords(statement, ref at, "IF", "NOT", "EXISTS");
        if (CommentOrName(statement, ref at) is not { } named)
        {
            return "a comment or nothing stands where its name belongs";
        }

        if (At(statement, at, '.'))
        {
            // The author's text may also name the database: allowed when it is the one being restored (a restore
            // under the same name), never another.
            at++;
            if (!named.Equals(database, StringComparison.Ordinal))
            {
                return $"its name carries the database '{BackupKeys.Printable(named)}', and a restore creates objects only in the database it restores";
            }

            if (CommentOrName(statement, ref at) is not { } inDatabase)
            {
                return "a comment or nothing stands where its name belongs";
            }

            named = inDatabase;
        }

        if (!named.Equals(name, StringComparison.OrdinalIgnoreCase))
        {
            return $"it names '{BackupKeys.Printable(named)}'";
        }

        return kind switch
        {
            Kind.Routine when word is not "PACKAGE" && !At(statement, at, '(') => "no parameter list follows its name (a function loaded from a library is not a routine of the database)",
            Kind.Table => TableProblem(statement),
            Kind.Event => MySqlCode.IndexOfWord(statement, "DO", mode) is var body && (body < 0 || MySqlCode.HasComment(statement[..body], mode)) ? "its schedule holds a comment, or no DO" : null,
            _ => null,
        };
    }

    /// <summary>What reaches beyond the table in a CREATE TABLE: rows from a query, a storage engine or option that reads or writes elsewhere.</summary>
    private static string? TableProblem(string statement)
    {
        var tables = 0;
        foreach (var (start, length) in MySqlCode.Words(statement))
        {
            var word = statement.Substring(start, length).ToUpperInvariant();
            switch (word)
            {
                case "SELECT":
                    return "it copies rows from a query (CREATE TABLE … SELECT)";
                case "TABLE" when ++tables > 1:
                    return "it copies another table";
                case "UNION" or "DIRECTORY" or "CONNECTION":
                    return $"its {word} option reaches outside the database";
                case "ENGINE":
                    var at = start + length;
                    if (!Symbol(statement, ref at, '=') || !TableEngines.Contains(Word(statement, ref at)))
                    {
                        return "its storage engine is not one a restore creates tables with (InnoDB, MyISAM, Aria, MEMORY, ARCHIVE, CSV, BLACKHOLE, MyRocks)";
                    }

                    break;
            }
        }

        return null;
    }

    /// <summary>Steps over <paramref name="words"/>, when they all come next.</summary>
    private static void SkipWords(string text, ref int at, params string[] words)
    {
        var after = at;
        if (words.All(w => Word(text, ref after).Equals(w, StringComparison.OrdinalIgnoreCase)))
        {
            at = after;
        }
    }

    /// <summary>
    /// The name at <paramref name="at"/> after whitespace, and past the whitespace after it; null when there is none
    /// or a comment comes before or after it (a server reads a comment as a space, which would join or part what
    /// this check reads). Quoted in backquotes, or double quotes under ANSI_QUOTES (a doubled quote stands for one;
    /// without ANSI_QUOTES the server refuses a string there), or bare, as a trigger's original statement may have it.
    /// </summary>
    private static string? CommentOrName(string text, ref int at)
    {
        SkipSpace(text, ref at);
        string? name = null;
        if (At(text, at, '`') || At(text, at, '"'))
        {
            var quote = text[at];
            var quoted = new System.Text.StringBuilder();
            for (var i = at + 1; i < text.Length; i++)
            {
                if (text[i] != quote)
                {
                    quoted.Append(text[i]);
                }
                else if (At(text, i + 1, quote))
                {
                    quoted.Append(quote);
                    i++;
                }
                else
                {
                    at = i + 1;
                    name = quoted.ToString();
                    break;
                }
            }
        }
        else
        {
            var start = at;
            while (at < text.Length && (char.IsAsciiLetterOrDigit(text[at]) || text[at] is '_' or '$' || text[at] > 0x7F))
            {
                at++;
            }

            name = at > start ? text[start..at] : null;
        }

        SkipSpace(text, ref at);
        return name is null || At(text, at, '#') || (At(text, at, '/') && At(text, at + 1, '*')) || (At(text, at, '-') && At(text, at + 1, '-')) ? null : name;
    }

    private static string Word(string text, ref int at)
    {
        SkipSpace(text, ref at);
        var start = at;
        while (at < text.Length && (char.IsAsciiLetter(text[at]) || text[at] == '_'))
        {
            at++;
        }

        return text[start..at];
    }

    private static bool Symbol(string text, ref int at, char symbol)
    {
        SkipSpace(text, ref at);
        if (At(text, at, symbol))
        {
            at++;
            return true;
        }

        return false;
    }

    private static void SkipSpace(string text, ref int at)
    {
        while (at < text.Length && MySqlCode.IsSpace(text[at]))
        {
            at++;
        }
    }

    private static bool At(string text, int index, char c) => index < text.Length && text[index] == c;
}
