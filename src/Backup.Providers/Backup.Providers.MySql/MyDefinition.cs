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

    /// <summary>Checks <paramref name="statement"/> (the entry <paramref name="name"/> of the manifest's <paramref name="kind"/> list, DEFINER dropped) and runs it.</summary>
    /// <exception cref="DatabaseRestoreException">The statement is not what a backup writes for that entry.</exception>
    public static async Task ExecuteAsync(MySqlConnection connection, string statement, Kind kind, string name, CancellationToken cancellationToken)
    {
        Check(statement, kind, name, connection.Database);
        await ExecuteOneAsync(connection, statement, $"the definition of {Describe(kind)} '{BackupKeys.Printable(name)}'", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Checks what the client can of <paramref name="statement"/>: a CREATE of <paramref name="kind"/> named
    /// <paramref name="name"/>, in <paramref name="database"/> (the one being restored) if it names a database at all.
    /// </summary>
    /// <exception cref="DatabaseRestoreException">It is not.</exception>
    public static void Check(string statement, Kind kind, string name, string database)
    {
        if (HeaderProblem(statement, kind, name, database) is { } problem)
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

    /// <summary>What is wrong with the start of <paramref name="statement"/>: <c>CREATE</c>, the clauses SHOW CREATE puts before the kind, the kind, the bare name.</summary>
    private static string? HeaderProblem(string statement, Kind kind, string name, string database)
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

        if (word is "PACKAGE")
        {
            SkipBody(statement, ref at);
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

        SkipSpace(statement, ref at);
        if (Name(statement, ref at) is not { } named)
        {
            return "no name follows";
        }

        SkipSpace(statement, ref at);
        if (at < statement.Length && statement[at] == '.')
        {
            // A trigger's statement is kept as its author wrote it, which may name the database: allowed when it is
            // the one being restored (a restore under the same name), never another.
            at++;
            SkipSpace(statement, ref at);
            if (!named.Equals(database, StringComparison.Ordinal) || Name(statement, ref at) is not { } inDatabase)
            {
                return $"its name carries the database '{BackupKeys.Printable(named)}', and a restore creates objects only in the database it restores";
            }

            named = inDatabase;
        }

        if (!named.Equals(name, StringComparison.OrdinalIgnoreCase))
        {
            return $"it names '{BackupKeys.Printable(named)}'";
        }

        return kind == Kind.Table && MySqlCode.HasWord(statement, "SELECT")
            ? "it copies rows from a query (CREATE TABLE … SELECT)"
            : null;
    }

    /// <summary>
    /// A quoted name (backquotes, or double quotes under ANSI_QUOTES; a doubled quote stands for one) or a bare one, as
    /// a trigger's original statement may have it. Under a mode without ANSI_QUOTES a double-quoted "name" is a string
    /// to the server, which then refuses the statement.
    /// </summary>
    private static string? Name(string text, ref int at)
    {
        if (at < text.Length && text[at] is '`' or '"')
        {
            var quote = text[at];
            var name = new System.Text.StringBuilder();
            for (var i = at + 1; i < text.Length; i++)
            {
                if (text[i] != quote)
                {
                    name.Append(text[i]);
                }
                else if (i + 1 < text.Length && text[i + 1] == quote)
                {
                    name.Append(quote);
                    i++;
                }
                else
                {
                    at = i + 1;
                    return name.ToString();
                }
            }

            return null;
        }

        var start = at;
        while (at < text.Length && (char.IsAsciiLetterOrDigit(text[at]) || text[at] is '_' or '$'))
        {
            at++;
        }

        return at > start ? text[start..at] : null;
    }

    /// <summary>Steps over the BODY of <c>CREATE PACKAGE BODY</c> (MariaDB's Oracle mode), if there.</summary>
    private static void SkipBody(string text, ref int at)
    {
        var after = at;
        if (Word(text, ref after).Equals("BODY", StringComparison.OrdinalIgnoreCase))
        {
            at = after;
        }
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
        if (at < text.Length && text[at] == symbol)
        {
            at++;
            return true;
        }

        return false;
    }

    private static void SkipSpace(string text, ref int at)
    {
        while (at < text.Length && char.IsWhiteSpace(text[at]))
        {
            at++;
        }
    }
}
