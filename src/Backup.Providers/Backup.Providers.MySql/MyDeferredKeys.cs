namespace Backup.Providers.MySql;

/// <summary>
/// Splits an InnoDB table's <c>SHOW CREATE TABLE</c> so that its rows are loaded before its secondary keys and foreign
/// keys exist (myloader's <c>--innodb-optimize-keys</c>): InnoDB builds a secondary index from sorted runs much faster
/// than it maintains one row by row once the table outgrows the buffer pool. Kept in the CREATE: the primary key,
/// the key that makes an <c>AUTO_INCREMENT</c> column legal, FULLTEXT and SPATIAL keys (added later they would rebuild
/// the table), CHECK constraints, and every key of a table that is not InnoDB.
/// </summary>
internal sealed record MyDeferredKeys(string Create, IReadOnlyList<string> Keys, IReadOnlyList<string> ForeignKeys)
{
    private static readonly HashSet<string> KeyWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "ADD", "KEY", "UNIQUE", "INDEX", "CONSTRAINT", "FOREIGN", "REFERENCES", "ON", "DELETE", "UPDATE", "CASCADE", "SET", "NULL",
        "RESTRICT", "NO", "ACTION", "DEFAULT", "USING", "BTREE", "HASH", "COMMENT", "KEY_BLOCK_SIZE", "NOT", "IGNORED", "INVISIBLE",
        "VISIBLE", "ASC", "DESC", "MATCH", "FULL", "PARTIAL", "SIMPLE",
    };

    /// <summary>
    /// Splits <paramref name="create"/> (checked by <see cref="MyDefinition"/>); a statement of a shape it does not
    /// recognise is kept whole, and so is one whose strings, quoted names or comments span lines: the split works on
    /// lines, and a line cut out of a quoted run would pair its quotes differently in the ALTER it goes to.
    /// </summary>
    public static MyDeferredKeys Split(string create)
    {
        var whole = new MyDeferredKeys(create, [], []);
        if (MySqlCode.Tokens(create).Any(t => t.Kind == MySqlCode.TokenKind.Ambiguous || create.AsSpan(t.Start, t.End - t.Start).Contains('\n')) || MySqlCode.HasComment(create))
        {
            return whole;
        }

        var lines = create.Split('\n');
        var close = Array.FindLastIndex(lines, l => l.StartsWith(')'));
        if (lines.Length < 3 || !lines[0].StartsWith("CREATE TABLE ", StringComparison.Ordinal) || !lines[0].EndsWith(" (", StringComparison.Ordinal)
            || close < 2 || !lines[close].Contains("ENGINE=InnoDB", StringComparison.OrdinalIgnoreCase))
        {
            return whole;
        }

        var definitions = lines[1..close].Select(l => l.TrimEnd(',')).ToList();
        if (definitions.Any(d => !d.StartsWith("  ", StringComparison.Ordinal)))
        {
            return whole;
        }

        // The column's quoted name as the tokens read it: a manifest from storage may put anything after the name (a
        // doubled backquote inside it, no space after it), and a name read wrongly would defer the key the column needs.
        var autoIncrement = definitions.FirstOrDefault(d => d.StartsWith("  `", StringComparison.Ordinal) && MySqlCode.HasWord(d, "AUTO_INCREMENT")) is { } column
            ? MySqlCode.Tokens(column).First() is { Kind: MySqlCode.TokenKind.QuotedName } name ? column[name.Start..name.End] : null
            : null;
        var kept = new List<string>();
        var keys = new List<string>();
        var foreignKeys = new List<string>();
        foreach (var definition in definitions)
        {
            var text = definition.TrimStart();
            if (text.StartsWith("CONSTRAINT ", StringComparison.Ordinal) && text.Contains(" FOREIGN KEY ", StringComparison.Ordinal))
            {
                foreignKeys.Add("ADD " + text);
            }
            else if ((text.StartsWith("KEY ", StringComparison.Ordinal) || text.StartsWith("UNIQUE KEY ", StringComparison.Ordinal))
                && (autoIncrement is null || !text.Contains($"({autoIncrement}", StringComparison.Ordinal)))
            {
                keys.Add("ADD " + text);
            }
            else
            {
                kept.Add(definition);
            }
        }

        // Every word of a clause held back must be one a key or foreign key is written with: a line that is something
        // else (an author's multi-line comment can hold any line) would run as part of an ALTER TABLE of its own.
        if ((keys.Count == 0 && foreignKeys.Count == 0) || !keys.Concat(foreignKeys).All(IsKeyClause) || !IsKeyClause(string.Join(", ", keys.Concat(foreignKeys))))
        {
            return whole;
        }

        var statement = string.Join('\n', [lines[0], string.Join(",\n", kept), .. lines[close..]]);
        return new MyDeferredKeys(statement, keys, foreignKeys);
    }

    /// <summary>Whether <paramref name="clause"/> holds only names (quoted), numbers and the words of a key or foreign key, and no comment.</summary>
    private static bool IsKeyClause(string clause) =>
        !MySqlCode.HasComment(clause) && MySqlCode.Words(clause).All(word =>
        {
            var text = clause[word.Start..word.End];
            return text.All(char.IsAsciiDigit) || KeyWords.Contains(text);
        });
}
