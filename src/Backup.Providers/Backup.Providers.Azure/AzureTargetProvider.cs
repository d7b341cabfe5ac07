using Backup.Core.Storage;
using Backup.Core.Storage.Locations;

namespace Backup.Providers.Azure;

/// <summary>
/// Creates <see cref="AzureBlobTarget"/>s for <c>azure://container[/prefix]</c> locations. Register it with a
/// <see cref="TargetResolver"/>, or in a host with <c>AddTargetProvider(new AzureTargetProvider())</c>; the backup
/// tool registers it and reads each setting from its environment variable.
/// </summary>
/// <remarks>
/// Settings: <c>ConnectionString</c> (AZURE_STORAGE_CONNECTION_STRING), the storage account's connection string;
/// <c>RetentionLock</c> (BACKUP_RETENTION_LOCK; a period such as 30d) writes a version-level immutability policy on
/// new packs and snapshots (the container needs version-level immutability support), <c>RetentionPolicyLocked</c>
/// (BACKUP_AZURE_RETENTION_LOCKED; true makes that policy locked, so it cannot be shortened).
/// </remarks>
public sealed class AzureTargetProvider : ITargetProvider
{
    /// <inheritdoc />
    public string Scheme => "azure";

    /// <inheritdoc />
    public IReadOnlyList<TargetSetting> Settings { get; } =
    [
        new("ConnectionString", "AZURE_STORAGE_CONNECTION_STRING", "the storage account's connection string", isSecret: true, isRequired: true),
        TargetLocations.RetentionLockSetting("an Azure immutability policy; the container needs version-level immutability support"),
        new("RetentionPolicyLocked", "BACKUP_AZURE_RETENTION_LOCKED", "'true' to write the immutability policy as locked (nobody can shorten it), 'false' (the default) for unlocked"),
    ];

    /// <inheritdoc />
    public IBackupTarget Create(RepositoryLocation location, TargetSettings settings, TargetCreateOptions options)
    {
        ArgumentNullException.ThrowIfNull(location);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(options);
        var (container, prefix) = TargetLocations.Split(
            location, "azure://CONTAINER[/PREFIX]", "container", $"{settings["ConnectionString"]}, which holds the account key or SAS token,", $"the BlobEndpoint of {settings["ConnectionString"]}");
        var connectionString = settings.Required("ConnectionString");
        var retainFor = TargetLocations.RetentionLock(settings);
        var policyLocked = settings.GetBoolean("RetentionPolicyLocked", defaultValue: false);
        var azureOptions = new AzureBlobTargetOptions
        {
            ConnectionString = connectionString,
            Container = container,
            Prefix = prefix,
            Immutability = retainFor is { } period ? new AzureImmutabilityOptions { RetainFor = period, Locked = policyLocked } : null,
            AllowInsecureHttp = options.AllowInsecureHttp,
        };
        try
        {
            var target = new AzureBlobTarget(azureOptions, options.TimeProvider);
            if (target.IsInsecureRemoteHttp)
            {
                options.Warn?.Invoke("The blob endpoint is plain http:// to another machine: requests can be read and altered on the way (insecure HTTP allowed).");
            }

            return target;
        }
        catch (Exception ex) when (ex is (ArgumentException and not InsecureTransportException) or FormatException or InvalidOperationException)
        {
            // The parser's message may quote the connection string: say only which setting is wrong.
            throw new TargetConfigurationException($"{settings["ConnectionString"]} is not a valid storage connection string.", "ConnectionString");
        }
    }
}
