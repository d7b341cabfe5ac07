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
        !string.IsNullOrWhiteSpace(environmentVariable) ? $"\"${{{environmentVariable}}}\""
        : !string.IsNullOrWhiteSpace(file) ? $"\"$(head -n 1 {Quote(file)})\""
        : $"\"<{placeholder}>\"";
}
