using Backup.Core.Storage;
using Backup.Core.Storage.Locations;

namespace Backup.Providers;

/// <summary>Splits the address of an object-store location, <c>container[/prefix]</c>, shared by the S3 and Azure providers.</summary>
internal static class TargetLocations
{
    /// <summary>The container (bucket) and the prefix without slashes at either end.</summary>
    /// <param name="location">The location.</param>
    /// <param name="form">The location's form, such as <c>s3://BUCKET[/PREFIX]</c>.</param>
    /// <param name="what">What the first segment names: "bucket" or "container".</param>
    /// <param name="credentials">The settings the credentials go in, as a message names them.</param>
    /// <param name="endpoint">The setting the server's address goes in, as a message names it.</param>
    /// <exception cref="TargetConfigurationException">
    /// There is no container; the URL holds credentials (user info or a query: the message never quotes the URL); or it
    /// names a server where the container goes.
    /// </exception>
    public static (string Container, string Prefix) Split(RepositoryLocation location, string form, string what, string credentials, string endpoint)
    {
        var rest = location.Address;
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var container = slash < 0 ? rest : rest[..slash];
        var prefix = slash < 0 ? string.Empty : rest[(slash + 1)..].Trim('/');
        // s3://KEY:SECRET@host/bucket and s3://bucket?secret_key=… are what other tools accept; here the secret would end
        // up as a bucket name or in an object key, so say where it goes instead (and never repeat the URL). Object keys
        // may hold '?' and '@' (s3://bucket/backups?v2 was always that prefix), so only what can be nothing but user
        // info or a query is refused: '@' or '?' in the bucket or container, whose names hold neither, or name=value
        // pairs after a '?'.
        // A secret holding '/' splits user info across the first segment: KEY:SE/CRET@bucket leaves 'KEY:SE' where the
        // bucket goes, which names no server either when an '@' follows.
        var query = rest.IndexOf('?', StringComparison.Ordinal);
        if (container.Contains('@', StringComparison.Ordinal)
            || (container.Contains(':', StringComparison.Ordinal) && rest.IndexOf('@', container.Length) >= 0)
            || (query >= 0 && (query < container.Length || rest.IndexOf('=', query) >= 0)))
        {
            throw new TargetConfigurationException(
                $"Credentials do not go in the repository URL, which takes no user name, password or query ('?…'): set {credentials} instead. The form is {form}.");
        }

        if (container.Contains(':', StringComparison.Ordinal))
        {
            throw new TargetConfigurationException($"The repository URL names the {what}, not the server: {form}; the server's address goes in {endpoint}.");
        }

        if (string.IsNullOrWhiteSpace(container))
        {
            throw new TargetConfigurationException($"The repository URL needs a {what}: {form}.");
        }

        return (container, prefix);
    }

    /// <summary>Runs a provider's option validation, whose messages name the option, never its value, as a configuration error.</summary>
    /// <summary>The setting that turns on retention locks (S3 Object Lock, Azure immutability) for new packs and snapshots.</summary>
    public static TargetSetting RetentionLockSetting(string lockedBy) =>
        new("RetentionLock", "BACKUP_RETENTION_LOCK", $"how long new packs and snapshots stay locked against deletion ({lockedBy}), as days or hours such as 30d or 36h");

    /// <summary>
    /// The RetentionLock setting as a period ("30d", "36h", "2w"; a bare number is days), or null when not set.
    /// </summary>
    /// <exception cref="TargetConfigurationException">The text is no positive period.</exception>
    public static TimeSpan? RetentionLock(TargetSettings settings)
    {
        if (settings.Optional("RetentionLock") is not { } text)
        {
            return null;
        }

        var s = text.Trim().ToLowerInvariant();
        var hasUnit = s.Length > 0 && char.IsLetter(s[^1]);
        var unit = hasUnit ? s[^1] : 'd';
        var digits = hasUnit ? s[..^1] : s;
        if (!int.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var count) || count <= 0
            || unit is not ('d' or 'h' or 'w') || count > 36500)
        {
            throw new TargetConfigurationException($"{settings["RetentionLock"]} must be a positive period such as 30d, 36h or 2w; '{text}' is not.", "RetentionLock");
        }

        return unit switch { 'h' => TimeSpan.FromHours(count), 'w' => TimeSpan.FromDays(7 * count), _ => TimeSpan.FromDays(count) };
    }

    public static void Validate(Action validate, string? hint = null)
    {
        try
        {
            validate();
        }
        catch (ArgumentException ex) when (ex is not TargetConfigurationException)
        {
            throw new TargetConfigurationException(hint is null ? $"Invalid repository settings: {ex.Message}" : $"Invalid repository settings: {ex.Message} ({hint})", ex.ParamName, ex);
        }
    }
}
