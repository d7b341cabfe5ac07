namespace Backup.Extensions.DependencyInjection;

/// <summary>
/// Reads a database password for one run, from the environment variable or the file a setting names. Called for
/// each run (a rotated secret is picked up without a restart); the value is never kept, logged or put in a message.
/// </summary>
internal static class DatabasePassword
{
    /// <summary>
    /// The password from <paramref name="environmentVariable"/> or <paramref name="file"/> (at most one is set), or
    /// null when neither is; <paramref name="owner"/> starts the messages ("Database source 'shop-db'").
    /// </summary>
    public static async Task<string?> ReadAsync(string owner, string? environmentVariable, string? file, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrWhiteSpace(environmentVariable))
        {
            // The message names the variable, never a value.
            return Environment.GetEnvironmentVariable(environmentVariable) is { Length: > 0 } password
                ? password
                : throw new InvalidOperationException($"{owner}: {EnvironmentVariableName.Describe(environmentVariable)} is not set.");
        }

        if (!string.IsNullOrWhiteSpace(file))
        {
            string password;
            try
            {
                password = await Backup.Core.Crypto.SecretFile.ReadAsync(file, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                throw new InvalidOperationException($"{owner}: cannot read the password file {file}: {e.Message}", e);
            }

            return password.Length > 0 ? password : throw new InvalidOperationException($"{owner}: the password file {file} is empty.");
        }

        return null;
    }
}
