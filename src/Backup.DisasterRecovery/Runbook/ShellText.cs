namespace Backup.DisasterRecovery;

/// <summary>Quoting for POSIX shell lines in the runbook: what the operator pastes must mean exactly the plan's value.</summary>
internal static class ShellText
{
    /// <summary>The value as one shell word: bare when it is only safe characters, else in single quotes.</summary>
    public static string Quote(string value) =>
        value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/' or ':' or '=' or ',' or '+' or '@' or '%')
            ? value
            : "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>A secret as the shell reads it where the command runs: from an environment variable or a file's first line.</summary>
    public static string Secret(string? environmentVariable, string? file, string placeholder) =>
        !string.IsNullOrWhiteSpace(environmentVariable) ? Variable(environmentVariable)
        : !string.IsNullOrWhiteSpace(file) ? $"\"$(head -n 1 {Quote(file)})\""
        : Placeholder(placeholder);

    /// <summary>
    /// Text the operator replaces, in double quotes as people write it (<c>"&lt;password of repository 'x'&gt;"</c>)
    /// unless it holds a character the shell would act on there, then single-quoted.
    /// </summary>
    public static string Placeholder(string text) =>
        text.Any(c => c is '$' or '`' or '"' or '\\' or '!' || IsLineBreaking(c)) ? Quote($"<{text}>") : $"\"<{text}>\"";

    /// <summary>Whether <paramref name="name"/> is a shell variable name.</summary>
    public static bool IsVariableName(string name) =>
        name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    /// <summary>
    /// An environment variable's value as one shell word; a name that is not a shell variable name (which the shell
    /// would read as more than a name, <c>${X}$(cmd)</c>) becomes a quoted placeholder.
    /// </summary>
    public static string Variable(string name) =>
        IsVariableName(name) ? $"\"${{{name}}}\"" : Placeholder($"value of the environment variable {name}");

    /// <summary>
    /// A line of the runbook with every control or line-separating character shown as an escape (<c>\u000a</c>): a
    /// plan's value with a line break in it must not end a comment and start a command on the line after, nor close a
    /// code block and open another in the text. A command holding one no longer means the plan's value, and fails.
    /// </summary>
    public static string OneLine(string line) =>
        line.Any(IsLineBreaking) ? string.Concat(line.Select(c => IsLineBreaking(c) ? $"\\u{(int)c:x4}" : c.ToString())) : line;

    /// <summary>
    /// Free text of several lines (a system's description): its line breaks stay, but no other control character, and
    /// no code fence, which would open a block of "commands to type" the plan's author did not write as a step.
    /// </summary>
    public static string Prose(string text) =>
        string.Join('\n', text.Split('\n').Select(line => OneLine(line.TrimEnd('\r')).Replace("```", "\\`\\`\\`", StringComparison.Ordinal).Replace("~~~", "\\~\\~\\~", StringComparison.Ordinal)));

    private static bool IsLineBreaking(char c) => char.IsControl(c) || c is '\u2028' or '\u2029';
}
