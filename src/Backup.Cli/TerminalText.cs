using System.Buffers;
using System.Globalization;
using System.Text;

namespace Backup.Cli;

/// <summary>
/// Makes text safe to show on a terminal. Names, labels, host names, tags and messages come from the repository
/// or the backed-up tree, and anyone who can name a file or write to the storage chooses them; shown raw, an escape
/// sequence in them moves the cursor, clears the screen or rewrites earlier lines, and a newline or a
/// right-to-left override forges a line of output. Every control character (C0, DEL, C1), line and paragraph
/// separators and the bidirectional formatting characters are therefore shown as escapes: <c>\n</c>, <c>\r</c>,
/// <c>\t</c>, <c>\xNN</c> below U+0100, <c>\uNNNN</c> above. The escaping is for reading, not for parsing back
/// (a backslash stays as it is); <c>--json</c> gives every name exactly.
/// </summary>
internal static class TerminalText
{
    // C0 and DEL..C1, ARABIC LETTER MARK, LRM and RLM, LINE and PARAGRAPH SEPARATOR, LRE..RLO, LRI..PDI.
    private static readonly SearchValues<char> Unsafe = SearchValues.Create(
        [.. Enumerable.Range(0x00, 0x20).Concat(Enumerable.Range(0x7F, 0x21)).Concat([0x061C, 0x200E, 0x200F, 0x2028, 0x2029])
            .Concat(Enumerable.Range(0x202A, 5)).Concat(Enumerable.Range(0x2066, 4)).Select(c => (char)c)]);

    /// <summary><paramref name="text"/> with every character that could steer a terminal escaped; the same instance when there is none.</summary>
    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var first = text.AsSpan().IndexOfAny(Unsafe);
        if (first < 0)
        {
            return text;
        }

        var escaped = new StringBuilder(text.Length + 8);
        escaped.Append(text, 0, first);
        for (var i = first; i < text.Length; i++)
        {
            var c = text[i];
            if (!IsUnsafe(c))
            {
                escaped.Append(c);
                continue;
            }

            escaped.Append(c switch
            {
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                < '\u0100' => string.Create(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}"),
                _ => string.Create(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}"),
            });
        }

        return escaped.ToString();
    }

    /// <summary>Escapes each line of a multi-line text (a stack trace) and joins them with '\n'.</summary>
    public static string EscapeLines(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return string.Join('\n', text.ReplaceLineEndings("\n").Split('\n').Select(Escape));
    }

    /// <summary>Whether <paramref name="c"/> is a control character, a line or paragraph separator, or a bidirectional formatting character.</summary>
    internal static bool IsUnsafe(char c) => Unsafe.Contains(c);
}
