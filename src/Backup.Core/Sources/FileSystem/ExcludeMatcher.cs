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

        AppendGlob(regex, pattern);
        regex.Append('$');
        return new Rule(new Regex(regex.ToString(), RegexOptions.CultureInvariant | RegexOptions.Singleline), negated, directoryOnly);
    }

    private static void AppendGlob(StringBuilder regex, string glob)
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
                    var close = glob.IndexOf(']', i + 2);
                    if (close < 0)
                    {
                        regex.Append("\\[");
                        break;
                    }

                    var set = glob[(i + 1)..close];
                    regex.Append('[');
                    if (set[0] is '!' or '^')
                    {
                        regex.Append('^');
                        set = set[1..];
                    }

                    regex.Append(set.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("[", "\\[", StringComparison.Ordinal)).Append(']');
                    i = close;
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

    private sealed record Rule(Regex Regex, bool Negated, bool DirectoryOnly);
}
