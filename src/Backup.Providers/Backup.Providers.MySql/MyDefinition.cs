using Backup.Core.Storage;
using MySqlConnector;

namespace Backup.Providers.MySql;

/// <summary>
/// Runs a schema statement from a driver-only or parallel dump's manifest only when it is what a backup writes there:
/// a CREATE of the kind and name the manifest lists it under, in the database being restored, and one statement. The
/// server decides the last, parsing the text as a prepared statement first (a prepared statement holds exactly one,
/// and preparing runs nothing). A client that may only add snapshots must not get <c>CREATE TABLE t (…); DROP
/// DATABASE shop</c>, a <c>GRANT</c> listed as a routine, a trigger on another database, or a table whose engine,
/// options, defaults or keys reach into another database run by whoever restores or drills the snapshot.
/// </summary>
/// <remarks>
/// What a routine, trigger, event or view does once it exists is the snapshot's code, as in any dump: it runs with
/// the privileges of the user that restored it (the DEFINER is dropped). docs/databases.md says how to restore and
/// drill with a user that may only touch the databases it creates. The header is read as the server reads it: plain
/// comments count as space (a trigger's statement is kept as its author wrote it, comments included), a versioned
/// comment is refused (code to some servers, a comment to others).
/// </remarks>
internal static class MyDefinition
{
    private const int ParseError = 1064;
    private const int NotPreparable = 1295;
    private const string AmbiguousVersion = "a versioned comment in it is read differently by different servers (where it ends, or which digits are its version)";

    // Engines that keep the table's rows in this server's own storage; MERGE, FEDERATED, CONNECT, SPIDER and the like reach other tables, files or hosts.
    private static readonly HashSet<string> TableEngines = new(StringComparer.OrdinalIgnoreCase)
    {
        "InnoDB", "MyISAM", "Aria", "MEMORY", "HEAP", "ARCHIVE", "CSV", "BLACKHOLE", "ROCKSDB", "TokuDB", "Mroonga", "ColumnStore", "NDBCLUSTER", "NDB",
    };

    private static readonly HashSet<string> Catalogs = new(StringComparer.OrdinalIgnoreCase) { "information_schema", "performance_schema" };

    private static readonly HashSet<string> IntervalUnits = new(StringComparer.OrdinalIgnoreCase)
    {
        "SECOND", "MINUTE", "HOUR", "DAY", "WEEK", "MONTH", "QUARTER", "YEAR", "MINUTE_SECOND", "HOUR_MINUTE", "HOUR_SECOND",
        "DAY_HOUR", "DAY_MINUTE", "DAY_SECOND", "YEAR_MONTH",
    };

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

    /// <summary>
    /// Checks <paramref name="statement"/> (the entry <paramref name="name"/> of the manifest's <paramref name="kind"/>
    /// list, DEFINER dropped, read in <paramref name="mode"/>), and runs what <see cref="Checked"/> makes of it.
    /// </summary>
    /// <exception cref="DatabaseRestoreException">The statement is not what a backup writes for that entry.</exception>
    public static async Task ExecuteAsync(MySqlConnection connection, string statement, Kind kind, string name, string source, MySqlCode.Mode mode, bool eventDisabled, CancellationToken cancellationToken)
    {
        var checkedStatement = Checked(statement, kind, name, connection.Database, source, mode, eventDisabled);
        await ExecuteOneAsync(connection, checkedStatement, $"the definition of {Describe(kind)} '{BackupKeys.Printable(name)}'", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// <paramref name="statement"/> checked to be a CREATE of <paramref name="kind"/> named <paramref name="name"/> in
    /// <paramref name="target"/>, as SHOW CREATE writes it: a database its author wrote before a trigger's name or
    /// table is taken out when it is <paramref name="target"/> or <paramref name="source"/> (the database backed up),
    /// and an event's ENABLE made DISABLE when <paramref name="eventDisabled"/>.
    /// </summary>
    /// <exception cref="DatabaseRestoreException">It is not such a statement.</exception>
    public static string Checked(string statement, Kind kind, string name, string target, string source, MySqlCode.Mode mode = default, bool eventDisabled = false)
    {
        var (problem, result) = Read(statement, kind, name, target, source, mode, eventDisabled);
        return problem is null
            ? result
            : throw DumpDirectory.Damaged($"The dump's manifest lists {Describe(kind)} '{BackupKeys.Printable(name)}' with a statement that is not its definition as a backup writes it ({problem})");
    }

    /// <summary>What is wrong with <paramref name="statement"/> for <see cref="Checked"/>, or null: for the backup, which refuses what its restore would.</summary>
    public static string? Problem(string statement, Kind kind, string name, string database) => Read(statement, kind, name, database, database, default, eventDisabled: false).Problem;

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
    /// Reads the header SHOW CREATE writes: <c>CREATE</c>, the clauses it puts before the kind, the kind, the name;
    /// then a routine's parameter list, a trigger's timing, event and table, a table's body (<see cref="TableProblem"/>),
    /// an event's schedule and status (strictly as SHOW CREATE EVENT writes them, so that the status a test restore
    /// changes is the one the server reads). Returns the problem, or the statement with its edits.
    /// </summary>
    private static (string? Problem, string Statement) Read(string statement, Kind kind, string name, string target, string source, MySqlCode.Mode mode, bool eventDisabled)
    {
        var header = new Header(statement, mode);
        if (!header.Word().Equals("CREATE", StringComparison.OrdinalIgnoreCase))
        {
            return ("it does not start with CREATE", statement);
        }

        string word;
        while (true)
        {
            word = header.Word().ToUpperInvariant();
            var clause = word switch
            {
                "OR" => header.Is("REPLACE"),
                "ALGORITHM" => header.Symbol('=') && header.Word().ToUpperInvariant() is "UNDEFINED" or "MERGE" or "TEMPTABLE",
                "SQL" => header.Is("SECURITY") && header.Word().ToUpperInvariant() is "DEFINER" or "INVOKER",
                "AGGREGATE" => true,
                _ => (bool?)null,
            };
            if (clause is null)
            {
                break;
            }

            if (clause == false)
            {
                return ($"'{BackupKeys.Printable(word)}' starts no clause SHOW CREATE writes", statement);
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
            return ($"it is a CREATE {BackupKeys.Printable(word)}", statement);
        }

        if (word is "PACKAGE")
        {
            header.Optional("BODY");
        }

        header.Optional("IF", "NOT", "EXISTS");
        if (header.QualifiedName(target, source) is not { } named)
        {
            return (header.Failure, statement);
        }

        if (!named.Equals(name, StringComparison.OrdinalIgnoreCase))
        {
            return ($"it names '{BackupKeys.Printable(named)}'", statement);
        }

        var problem = kind switch
        {
            Kind.Routine when word is not "PACKAGE" && !header.Next('(') => "no parameter list follows its name (a function loaded from a library is not a routine of the database)",
            Kind.Trigger => TriggerProblem(header, target, source),
            Kind.Event => EventProblem(header, eventDisabled),
            Kind.Table => TableProblem(statement, target, mode),
            Kind.View => ViewProblem(header, statement, target, source, mode),
            _ => null,
        };
        problem = header.Failure ?? problem;
        return (problem, problem is null ? header.Edited() : statement);
    }

    /// <summary>After a trigger's name: BEFORE or AFTER, its events, ON and the table (a database before it taken out as for the name).</summary>
    private static string? TriggerProblem(Header header, string target, string source)
    {
        if (header.Word().ToUpperInvariant() is not ("BEFORE" or "AFTER"))
        {
            return "BEFORE or AFTER does not follow its name";
        }

        // The events: INSERT, UPDATE, DELETE, joined by OR, or UPDATE OF a list of columns.
        for (var tokens = 0; !header.Is("ON"); tokens++)
        {
            if (tokens > 64)
            {
                return "no ON names its table";
            }

            header.StepOverPunctuation();
        }

        return header.QualifiedName(target, source) is null ? header.Failure : null;
    }

    /// <summary>
    /// After an event's name, SHOW CREATE EVENT's schedule: <c>ON SCHEDULE {AT 'time' | EVERY n unit [STARTS 'time']
    /// [ENDS 'time']} ON COMPLETION [NOT] PRESERVE {ENABLE | DISABLE | DISABLE ON SLAVE | DISABLE ON REPLICA} [COMMENT '…'] DO</c>; with
    /// <paramref name="disabled"/> an ENABLE is marked for DISABLE.
    /// </summary>
    private static string? EventProblem(Header header, bool disabled)
    {
        const string Expected = "its schedule is not written as SHOW CREATE EVENT writes one";
        if (!header.Is("ON") || !header.Is("SCHEDULE"))
        {
            return Expected;
        }

        var when = header.Word().ToUpperInvariant();
        if (when == "AT")
        {
            if (!header.StringLiteral())
            {
                return Expected;
            }
        }
        else if (when != "EVERY" || !(header.StringLiteral() || header.Number()) || !IntervalUnits.Contains(header.Word())
            || (header.Optional("STARTS") && !header.StringLiteral()) || (header.Optional("ENDS") && !header.StringLiteral()))
        {
            return Expected;
        }

        if (!header.Is("ON") || !header.Is("COMPLETION"))
        {
            return Expected;
        }

        header.Optional("NOT");
        if (!header.Is("PRESERVE"))
        {
            return Expected;
        }

        switch (header.Word().ToUpperInvariant())
        {
            case "ENABLE":
                if (disabled)
                {
                    header.ReplaceLastWord("DISABLE");
                }

                break;
            case "DISABLE":
                if (header.Optional("ON") && header.Word().ToUpperInvariant() is not ("SLAVE" or "REPLICA"))
                {
                    return Expected;
                }

                break;
            default:
                return Expected;
        }

        if (header.Optional("COMMENT") && !header.StringLiteral())
        {
            return Expected;
        }

        return header.Is("DO") ? null : Expected;
    }

    /// <summary>
    /// What in a CREATE TABLE reaches beyond the table: rows or columns from elsewhere, a name in another database (a
    /// foreign key, a sequence in a default), a storage engine or option that reads or writes other tables, files or hosts.
    /// </summary>
    private static string? TableProblem(string statement, string target, MySqlCode.Mode mode)
    {
        var tokens = MySqlCode.Tokens(statement, mode).ToList();
        if (tokens.Any(t => t.Kind == MySqlCode.TokenKind.Ambiguous))
        {
            return AmbiguousVersion;
        }

        if (tokens.Any(t => t.Kind == MySqlCode.TokenKind.Symbol && statement[t.Start] == '@'))
        {
            return "it reads a variable (@…): a default read while the restore inserts could store the restoring server's settings";
        }

        if (MySqlCode.Qualifiers(statement, mode).FirstOrDefault(q => !q.Equals(target, StringComparison.Ordinal)) is { } other)
        {
            return $"it refers to the database '{BackupKeys.Printable(other)}', and a restored table may refer only to its own";
        }

        var tables = 0;
        var words = MySqlCode.Words(statement, mode).ToList();
        for (var i = 0; i < words.Count; i++)
        {
            var word = statement[words[i].Start..words[i].End].ToUpperInvariant();
            switch (word)
            {
                case "SELECT":
                    return "it copies rows from a query (CREATE TABLE … SELECT)";
                case "TABLE" when ++tables > 1:
                    return "it copies another table";
                case "UNION" or "DIRECTORY" or "CONNECTION":
                    return $"its {word} option reaches outside the database";
                case "ENGINE":
                    var at = words[i].End;
                    while (at < statement.Length && MySqlCode.IsSpace(statement[at]))
                    {
                        at++;
                    }

                    if (at >= statement.Length || statement[at] != '=' || i + 1 >= words.Count
                        || !TableEngines.Contains(statement[words[i + 1].Start..words[i + 1].End]) || statement[(at + 1)..words[i + 1].Start].Any(c => !MySqlCode.IsSpace(c)))
                    {
                        return $"its storage engine is not one a restore creates tables with ({string.Join(", ", TableEngines)})";
                    }

                    break;
            }
        }

        return null;
    }

    /// <summary>
    /// A view's call of a function in another database (<c>other.f(…)</c>, <c>other.pkg.f(…)</c>): CREATE VIEW folds a
    /// deterministic function called with constants, so the restore would run that database's function, with
    /// arguments the snapshot chose. The snapshot's own routines are created not deterministic until the views exist;
    /// a call written with the database backed up is made a call of the one restored (the function restored with it).
    /// </summary>
    private static string? ViewProblem(Header header, string statement, string target, string source, MySqlCode.Mode mode)
    {
        if (MySqlCode.Tokens(statement, mode).Any(t => t.Kind == MySqlCode.TokenKind.Ambiguous))
        {
            return AmbiguousVersion;
        }

        foreach (var call in MySqlCode.DottedNames(statement, mode).Where(d => d.StartsCall && !d.InPackageCall))
        {
            if (call.Qualifier.Equals(target, StringComparison.Ordinal))
            {
                continue;
            }

            if (!call.Qualifier.Equals(source, StringComparison.Ordinal))
            {
                return $"it calls a function of the database '{BackupKeys.Printable(call.Qualifier)}', which creating the view could run";
            }

            header.Edit(call.First.Start, call.First.End, MyServer.QuoteIdentifier(target));
        }

        return null;
    }

    /// <summary>
    /// The first database of <paramref name="databases"/> other than <paramref name="target"/> that
    /// <paramref name="statement"/> names before a dot outside a function call (a view reading another database's table
    /// or view), or null. The snapshot names its source itself, so the source counts as another database here; SHOW
    /// CREATE VIEW, run in the view's own database, never names it. Calls are <see cref="ViewProblem"/>'s. The server's
    /// catalogs hold no code.
    /// </summary>
    public static string? OtherDatabaseRead(string statement, MySqlCode.Mode mode, string target, IReadOnlySet<string> databases) =>
        MySqlCode.DottedNames(statement, mode)
            .Where(d => !d.StartsCall && !d.InPackageCall)
            .Select(d => d.Qualifier)
            .FirstOrDefault(name => databases.Contains(name) && !name.Equals(target, StringComparison.Ordinal) && !Catalogs.Contains(name));

    /// <summary>Reads a statement's header token by token as the server would, keeping the edits the check makes.</summary>
    private sealed class Header(string text, MySqlCode.Mode mode)
    {
        private readonly List<(int Start, int End, string With)> _edits = [];

        private int _wordStart;

        /// <summary>Where reading stands.</summary>
        public int Position { get; private set; }

        /// <summary>Why a name could not be read, once one could not.</summary>
        public string? Failure { get; private set; }

        /// <summary>The next word (letters and underscores), or empty when something else comes next.</summary>
        public string Word()
        {
            Skip();
            _wordStart = Position;
            while (Position < text.Length && (char.IsAsciiLetter(text[Position]) || text[Position] == '_'))
            {
                Position++;
            }

            return text[_wordStart..Position];
        }

        /// <summary>Reads the next word, true when it is <paramref name="word"/>.</summary>
        public bool Is(string word) => Word().Equals(word, StringComparison.OrdinalIgnoreCase);

        /// <summary>Steps over <paramref name="words"/> when they all come next; true when they did.</summary>
        public bool Optional(params string[] words)
        {
            var before = Position;
            if (words.All(Is))
            {
                return true;
            }

            Position = before;
            return false;
        }

        /// <summary>Steps over <paramref name="symbol"/> when it comes next.</summary>
        public bool Symbol(char symbol)
        {
            Skip();
            if (Position < text.Length && text[Position] == symbol)
            {
                Position++;
                return true;
            }

            return false;
        }

        /// <summary>Steps over what comes next unless it is a word (which <see cref="Word"/> reads): a quoted name or one other character.</summary>
        public void StepOverPunctuation()
        {
            Skip();
            if (Position >= text.Length || char.IsAsciiLetter(text[Position]) || text[Position] == '_')
            {
                return;
            }

            var before = Position;
            if (Name() is null || Position == before)
            {
                Position = before + 1;
            }
        }

        /// <summary>Whether <paramref name="symbol"/> comes next (not stepped over).</summary>
        public bool Next(char symbol)
        {
            Skip();
            return Position < text.Length && text[Position] == symbol;
        }

        /// <summary>Steps over a string literal in single quotes.</summary>
        public bool StringLiteral()
        {
            Skip();
            if (Position >= text.Length || text[Position] != '\'')
            {
                return false;
            }

            var end = MySqlCode.QuoteEnd(text, Position, mode);
            if (end < 0)
            {
                return false;
            }

            Position = end;
            return true;
        }

        /// <summary>Steps over a number (digits).</summary>
        public bool Number()
        {
            Skip();
            var start = Position;
            while (Position < text.Length && char.IsAsciiDigit(text[Position]))
            {
                Position++;
            }

            return Position > start;
        }

        /// <summary>
        /// A name, or a database and a name: when the database is <paramref name="target"/> or <paramref name="source"/>
        /// it is taken out (the object lands in the restored database either way), any other is a <see cref="Failure"/>.
        /// </summary>
        public string? QualifiedName(string target, string source)
        {
            Skip();
            var start = Position;
            var first = Name();
            if (first is null)
            {
                return Fail("no name follows");
            }

            if (!Symbol('.'))
            {
                return first;
            }

            Skip();
            var nameStart = Position;
            var second = Name();
            if (second is null)
            {
                return Fail("no name follows its database");
            }

            if (!first.Equals(target, StringComparison.Ordinal) && !first.Equals(source, StringComparison.Ordinal))
            {
                return Fail($"it names the database '{BackupKeys.Printable(first)}', and a restore creates objects only in the database it restores");
            }

            _edits.Add((start, nameStart, string.Empty));
            return second;
        }

        /// <summary>Marks the text from <paramref name="start"/> to <paramref name="end"/> to become <paramref name="with"/>.</summary>
        public void Edit(int start, int end, string with) => _edits.Add((start, end, with));

        /// <summary>Marks the word <see cref="Word"/> read last to become <paramref name="with"/>.</summary>
        public void ReplaceLastWord(string with) => _edits.Add((_wordStart, Position, with));

        /// <summary>The text with the edits made.</summary>
        public string Edited()
        {
            var result = new System.Text.StringBuilder(text);
            foreach (var (start, end, with) in _edits.OrderByDescending(e => e.Start))
            {
                result.Remove(start, end - start).Insert(start, with);
            }

            return result.ToString();
        }

        private string? Fail(string why)
        {
            Failure ??= why;
            return null;
        }

        /// <summary>A quoted name (backquotes; double quotes under ANSI_QUOTES, which is all a server takes there) or a bare one.</summary>
        private string? Name()
        {
            if (Position < text.Length && (text[Position] == '`' || (text[Position] == '"' && mode.AnsiQuotes)))
            {
                var end = MySqlCode.QuoteEnd(text, Position, mode);
                if (end < 0)
                {
                    return null;
                }

                var name = MySqlCode.NameOf(text, new(MySqlCode.TokenKind.QuotedName, Position, end));
                Position = end;
                return name;
            }

            var start = Position;
            while (Position < text.Length && (char.IsAsciiLetterOrDigit(text[Position]) || text[Position] is '_' or '$' || text[Position] > 0x7F))
            {
                Position++;
            }

            return Position > start ? text[start..Position] : null;
        }

        /// <summary>Steps over space and plain comments, which the server reads as space; a versioned comment is a <see cref="Failure"/>.</summary>
        private void Skip()
        {
            while (Position < text.Length)
            {
                if (MySqlCode.IsSpace(text[Position]))
                {
                    Position++;
                }
                else if (MySqlCode.PlainCommentEnd(text, Position) is { } end)
                {
                    Position = end;
                }
                else
                {
                    if (MySqlCode.VersionedOpenerEnd(text, Position) is not null)
                    {
                        Fail("a versioned comment stands in its header, code to some servers and a comment to others");
                    }

                    return;
                }
            }
        }
    }
}
