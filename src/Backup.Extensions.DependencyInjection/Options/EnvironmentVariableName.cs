namespace Backup.Extensions.DependencyInjection;

/// <summary>
/// Checks the settings that name an environment variable holding a secret (<c>PasswordEnvironmentVariable</c> and its
/// kin). Someone who puts the password itself there would otherwise see it again in the error that says no such
/// variable is set, in logs and health output. A value no environment can hold as a name (with whitespace, '=' or a
/// control character) is refused at startup without being repeated; any other is accepted (containers allow '.' and
/// '-' in names), and only a portable name (letters, digits, '_') is ever shown.
/// </summary>
internal static class EnvironmentVariableName
{
    /// <summary>Whether <paramref name="name"/> is a portable variable name: letters, digits and '_', not starting with a digit (POSIX); only such a name is shown in messages.</summary>
    public static bool IsPortable(string name) =>
        name.Length > 0 && !char.IsAsciiDigit(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    /// <summary>Whether <paramref name="name"/> can name an environment variable at all: no whitespace, '=' or control character.</summary>
    public static bool IsPossible(string name) =>
        name.Length > 0 && !name.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c == '=');

    /// <summary>How a message names the variable: by its name when that is portable, otherwise without showing it.</summary>
    public static string Describe(string name) =>
        IsPortable(name) ? $"environment variable {name}" : "environment variable whose name is not shown (it is not a portable name, and may be a secret put there by mistake)";

    /// <summary>The error for the setting at <paramref name="path"/> when <paramref name="name"/> is set but cannot be a name; null otherwise.</summary>
    public static string? Check(string path, string? name) =>
        string.IsNullOrWhiteSpace(name) || IsPossible(name)
            ? null
            : $"{path}: is not the name of an environment variable (it holds whitespace, '=' or a control character). Set it to the name of the variable " +
              "that holds the secret, such as BACKUP_PASSWORD, not to the secret itself; the value given is not repeated here.";
}
