using Backup.Core.Crypto;

namespace Backup.Cli;

/// <summary>
/// Finds the repository password: --password-file, then the file $BACKUP_PASSWORD_FILE names, then $BACKUP_PASSWORD,
/// then a prompt without echo when stdin is a terminal. Never from a command-line argument, which other users could
/// read from the process list. Each password variable has its _FILE twin, as restic's RESTIC_PASSWORD_FILE and the
/// container convention for mounted secrets (POSTGRES_PASSWORD_FILE), so a secret file needs no wrapper script.
/// </summary>
internal sealed class PasswordResolver(CliConsole console)
{
    public const string PasswordVariable = "BACKUP_PASSWORD";
    public const string NewPasswordVariable = "BACKUP_NEW_PASSWORD";
    public const string DestinationPasswordVariable = "BACKUP_DESTINATION_PASSWORD";

    /// <summary>The credentials that open (or, with <paramref name="confirm"/>, create) the repository.</summary>
    public RepositoryCredentials Resolve(FileInfo? passwordFile, bool confirm = false) =>
        RepositoryCredentials.FromPassword(Find(passwordFile, PasswordVariable, "--password-file", "Repository password: ", confirm));

    /// <summary>Whether <see cref="Resolve"/> finds the password without asking: from <paramref name="passwordFile"/>, $BACKUP_PASSWORD_FILE or $BACKUP_PASSWORD.</summary>
    public bool IsGivenWithoutPrompt(FileInfo? passwordFile) =>
        passwordFile is not null
        || !string.IsNullOrEmpty(console.GetEnvironmentVariable(FileVariable(PasswordVariable)))
        || !string.IsNullOrEmpty(console.GetEnvironmentVariable(PasswordVariable));

    /// <summary>The variable that names a file holding what <paramref name="variable"/> would hold: BACKUP_PASSWORD_FILE.</summary>
    public static string FileVariable(string variable) => variable + "_FILE";

    /// <summary>The credentials of a new key: --new-password-file, then $BACKUP_NEW_PASSWORD_FILE, then $BACKUP_NEW_PASSWORD, then a prompt (asked twice).</summary>
    public RepositoryCredentials ResolveNew(FileInfo? newPasswordFile) =>
        RepositoryCredentials.FromPassword(Find(newPasswordFile, NewPasswordVariable, "--new-password-file", "New password: ", confirm: true));

    /// <summary>The credentials of a second repository (copy's destination): --destination-password-file, then $BACKUP_DESTINATION_PASSWORD_FILE, then $BACKUP_DESTINATION_PASSWORD, then a prompt.</summary>
    public RepositoryCredentials ResolveDestination(FileInfo? destinationPasswordFile) =>
        RepositoryCredentials.FromPassword(Find(destinationPasswordFile, DestinationPasswordVariable, "--destination-password-file", "Destination repository password: ", confirm: false));

    private string Find(FileInfo? file, string variable, string optionName, string prompt, bool confirm)
    {
        if (file is not null)
        {
            return ReadPasswordFile(file);
        }

        var fileFromEnvironment = console.GetEnvironmentVariable(FileVariable(variable));
        if (!string.IsNullOrEmpty(fileFromEnvironment))
        {
            try
            {
                return ReadPasswordFile(new FileInfo(fileFromEnvironment));
            }
            catch (FileNotFoundException ex)
            {
                // Said where the path came from: an exported variable is easily forgotten, and may be meant for another repository.
                throw new FileNotFoundException($"{FileVariable(variable)} names the password file: {ex.Message} Or unset {FileVariable(variable)} to use {variable} or {optionName}.", ex.FileName, ex);
            }
        }

        var fromEnvironment = console.GetEnvironmentVariable(variable);
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return fromEnvironment;
        }

        if (console.IsInputRedirected)
        {
            throw new CliUsageException(fromEnvironment is null
                ? $"No password: set {variable} (or {FileVariable(variable)} to a file holding it), give {optionName} FILE, or run in a terminal to be asked."
                : $"No password: {variable} is set but empty; put the password in it, set {FileVariable(variable)} to a file holding it, give {optionName} FILE, or run in a terminal to be asked.");
        }

        var password = console.ReadSecret(prompt);
        if (confirm && console.ReadSecret("Enter it again: ") != password)
        {
            throw new ArgumentException("The passwords do not match.");
        }

        return password;
    }

    /// <summary>The first line of <paramref name="file"/>, without its line ending: the password (read as everywhere, by <see cref="SecretFile"/>).</summary>
    public static string ReadPasswordFile(FileInfo file) => SecretFile.Read(file.FullName);
}
