using System.Text;
using System.Text.RegularExpressions;

namespace Backup.Core.Sources.FileSystem;

/// <summary>
/// Matches '/'-separated relative paths against gitignore-style patterns: <c>*.log</c> (a name at any depth),
/// <c>/build</c> (anchored at the root), <c>node_modules/</c> (directories only), <c>**/tmp</c>, <c>a/**/b</c>,
/// <c>?</c>, <c>[a-z]</c>, and <c>!keep.log</c> to re-include. The last matching pattern wins; blank lines and
/// lines starting with '#' are ignored.
/// </summary>
/// <remarks>
/// As with git, a path below an excluded directory cannot be re-included, because the directory is never read.
/// </remarks>
internal sealed class ExcludeMatcher
{
    private readonly List<Rule> _rules = [];

    /// <summary>Compiles <paramref name="patterns"/>.</summary>
    /// <exception cref="ArgumentException">A pattern cannot be compiled.</exception>
    public ExcludeMatcher(IEnumerable<string> patterns)
    {
        ArgumentNullException.ThrowIfNull(patterns);
        foreach (var raw in patterns)
        {
            if (Parse(raw) is { } rule)
            {
                _rules.Add(rule);
            }
        }
    }

    /// <summary>Whether there are no patterns, so nothing is ever excluded.</summary>
    public bool IsEmpty => _rules.Count == 0;

    /// <summary>Whether <paramref name="relativePath"/> ('/'-separated, no leading '/') is excluded.</summary>
    /// <param name="relativePath">The path relative to the backed-up root.</param>
    /// <param name="isDirectory">Whether the path is a directory (patterns ending in '/' match only directories).</param>
    public bool IsExcluded(string relativePath, bool isDirectory)
    {
        ArgumentNullException.ThrowIfNull(relativePath);
        var path = relativePath.TrimStart('/');
        for (var i = _rules.Count - 1; i >= 0; i--)
        {
            var rule = _rules[i];
            if ((!rule.DirectoryOnly || isDirectory) && rule.Regex.IsMatch(path))
            {
                return !rule.Negated;
            }
        }

        return false;
    }

    private static Rule? Parse(string raw)
    {
        var pattern = raw.TrimEnd('\r');
        // Trailing spaces are insignificant in gitignore unless escaped.
        while (pattern.EndsWith(' ') && !pattern.EndsWith("\\ ", StringComparison.Ordinal))
        {
            pattern = pattern[..^1];
        }

        if (pattern.Length == 0 || pattern[0] == '#')
        {
            return null;
        }

        var negated = false;
        if (pattern[0] == '!')
        {
            negated = true;
            pattern = pattern[1..];
        }
        else if (pattern.StartsWith("\\!", StringComparison.Ordinal) || pattern.StartsWith("\\#", StringComparison.Ordinal))
        {
            pattern = pattern[1..];
        }

        var directoryOnly = false;
        if (pattern.EndsWith('/'))
        {
            directoryOnly = true;
            pattern = pattern.TrimEnd('/');
        }

        if (pattern.Length == 0)
        {
            return null;
        }

        // A slash anywhere but at the end anchors the pattern at the root; otherwise it matches a name at any depth.
        var anchored = pattern.Contains('/', StringComparison.Ordinal);
        pattern = pattern.TrimStart('/');
        var regex = new StringBuilder("^");
        if (!anchored)
        {
            regex.Append("(?:.*/)?");
        }

        AppendGlob(regex, pattern, raw);
        // \z, not $: a '$' also matches before a final newline, so "*.log" would exclude a file named "a.log\n".
        regex.Append("\\z");
        try
        {
            // Without backtracking: the paths are named by whoever can create files below a root, and a name made for
            // a pattern with several '*' (200 dots against "*.*.*.*.*.*.bak") would keep a backtracking match, and
            // the backup, busy for years. The translation uses nothing that needs backtracking.
            return new Rule(new Regex(regex.ToString(), RegexOptions.CultureInvariant | RegexOptions.Singleline | RegexOptions.NonBacktracking), negated, directoryOnly);
        }
        catch (ArgumentException e)
        {
            // The glob is translated with every character escaped, so this is a translation bug; still name the pattern.
            throw new ArgumentException($"Exclude pattern '{raw}' is not valid: {e.Message}", e);
        }
    }

    private static void AppendGlob(StringBuilder regex, string glob, string raw)
    {
        for (var i = 0; i < glob.Length; i++)
        {
            var c = glob[i];
            switch (c)
            {
                case '*' when i + 1 < glob.Length && glob[i + 1] == '*':
                    var atStart = i == 0 || glob[i - 1] == '/';
                    var atEnd = i + 2 == glob.Length;
                    var slashAfter = i + 2 < glob.Length && glob[i + 2] == '/';
                    if (atStart && slashAfter)
                    {
                        regex.Append("(?:.*/)?");
                        i += 2;
                    }
                    else if (atStart && atEnd)
                    {
                        regex.Append(".*");
                        i += 1;
                    }
                    else
                    {
                        // "**" inside a name behaves like "*".
                        regex.Append("[^/]*");
                        i += 1;
                    }

                    break;
                case '*':
                    regex.Append("[^/]*");
                    break;
                case '?':
                    regex.Append("[^/]");
                    break;
                case '[':
                    if (TryParseClass(glob, i, raw, out var set, out var close))
                    {
                        regex.Append(set);
                        i = close;
                    }
                    else
                    {
                        // As in POSIX fnmatch, a '[' that opens no complete set stands for itself.
                        regex.Append("\\[");
                    }

                    break;
                case '\\' when i + 1 < glob.Length:
                    regex.Append(Regex.Escape(glob[++i].ToString()));
                    break;
                default:
                    regex.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }
    }

    /// <summary>
    /// Translates the bracket expression opening at <paramref name="open"/> as git's wildmatch reads it: '!' or '^'
    /// first negates, a ']' first is a member, '\' escapes the next character, 'a-z' is a range and a '-' first or
    /// last is a member. Every member is escaped, so the result always compiles as a .NET character class.
    /// </summary>
    /// <returns>False when no ']' closes the set.</returns>
    /// <exception cref="ArgumentException">The set holds a reversed range such as z-a.</exception>
    private static bool TryParseClass(string glob, int open, string raw, out string set, out int close)
    {
        set = string.Empty;
        close = -1;
        var members = new StringBuilder();
        var i = open + 1;
        var negated = i < glob.Length && glob[i] is '!' or '^';
        if (negated)
        {
            i++;
        }

        var first = i;
        string? reversed = null;
        var reversedEnd = 0;
        while (true)
        {
            if (i >= glob.Length)
            {
                return false;
            }

            if (glob[i] == ']' && i > first)
            {
                break;
            }

            var start = i;
            if (!TryReadMember(glob, ref i, out var low))
            {
                return false;
            }

            if (i + 1 < glob.Length && glob[i] == '-' && glob[i + 1] != ']')
            {
                var dash = i++;
                if (!TryReadMember(glob, ref i, out var high))
                {
                    return false;
                }

                // Git lets a reversed range match nothing; it is always a typo, so it is reported rather than ignored.
                if (high < low && reversed is null)
                {
                    var lowText = glob[start..dash];
                    var highText = glob[(dash + 1)..i];
                    reversed = $"the range {lowText}-{highText} is reversed; write {glob[open..start]}{highText}-{lowText}";
                    reversedEnd = i;
                }

                members.Append(EscapeInClass(low)).Append('-').Append(EscapeInClass(high));
            }
            else
            {
                members.Append(EscapeInClass(low));
            }
        }

        close = i;
        if (reversed is not null)
        {
            // Reported only once the ']' is found: "[z-a" opens no set, so it is a literal and not a mistake.
            throw new ArgumentException($"Exclude pattern '{raw}' is not valid: {reversed}{glob[reversedEnd..(close + 1)]}.");
        }

        // As '*' and '?', a set never matches the '/' between names (git's wildmatch with WM_PATHNAME), so "a[!x]b"
        // cannot exclude the file b in the directory a.
        set = negated ? $"[^{members}/]" : $"[{members}-[/]]";
        return true;
    }

    /// <summary>Reads one set member at <paramref name="i"/>, a '\' escaping the next character, and moves past it.</summary>
    private static bool TryReadMember(string glob, ref int i, out char member)
    {
        if (glob[i] == '\\')
        {
            i++;
            if (i >= glob.Length)
            {
                member = default;
                return false;
            }
        }

        member = glob[i++];
        return true;
    }

    private static string EscapeInClass(char c) => c is '\\' or ']' or '[' or '^' or '-' ? $"\\{c}" : c.ToString();

    private sealed record Rule(Regex Regex, bool Negated, bool DirectoryOnly);
}
