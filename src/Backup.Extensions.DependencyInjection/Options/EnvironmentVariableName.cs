namespace Backup.Extensions.DependencyInjection;

/// <summary>
/// Checks the settings that name an environment variable holding a secret (<c>PasswordEnvironmentVariable</c> and its
/// kin). Someone who puts the password itself there would otherwise see it again in the error that says no such
/// variable is set, in logs and health output; a password rarely looks like a variable's name, so such a value is
/// refused at startup without being repeated.
/// </summary>
internal static class EnvironmentVariableName
{
    /// <summary>Whether <paramref name="name"/> is a portable variable name: letters, digits and '_', not starting with a digit (POSIX).</summary>
    public static bool IsValid(string name) =>
        name.Length > 0 && !char.IsAsciiDigit(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    /// <summary>The error for the setting at <paramref name="path"/> when <paramref name="name"/> is set but not a valid name; null otherwise.</summary>
    public static string? Check(string path, string? name) =>
        string.IsNullOrWhiteSpace(name) || IsValid(name)
            ? null
            : $"{path}: is not the name of an environment variable (letters, digits and '_', not starting with a digit). Set it to the name of the variable " +
              "that holds the secret, such as BACKUP_PASSWORD, not to the secret itself; the value given is not repeated here.";
}
