using Microsoft.Extensions.Configuration;

namespace Backup.Extensions.DependencyInjection;

/// <summary>Reads a secret from a file, an environment variable or a configuration key, at use (so a rotated secret is picked up).</summary>
internal static class AlertSecret
{
    /// <summary>The secret, or null when none is configured; throws (without the secret) when a configured source is empty or unreadable.</summary>
    public static async Task<string?> ReadAsync(string path, string? file, string? environmentVariable, string? configurationKey, IConfiguration? configuration, CancellationToken cancellationToken)
    {
        string? secret;
        if (!string.IsNullOrWhiteSpace(file))
        {
            try
            {
                secret = await Backup.Core.Crypto.SecretFile.ReadAsync(file, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                throw new BackupAlertDeliveryException($"{path}:SecretFile: cannot read '{file}' ({e.GetType().Name}).", isTransient: false);
            }
        }
        else if (!string.IsNullOrWhiteSpace(environmentVariable))
        {
            secret = Environment.GetEnvironmentVariable(environmentVariable);
        }
        else if (!string.IsNullOrWhiteSpace(configurationKey))
        {
            secret = configuration?[configurationKey];
        }
        else
        {
            return null;
        }

        return string.IsNullOrEmpty(secret)
            ? throw new BackupAlertDeliveryException($"{path}: the configured HMAC secret is empty or not set.", isTransient: false)
            : secret;
    }
}
