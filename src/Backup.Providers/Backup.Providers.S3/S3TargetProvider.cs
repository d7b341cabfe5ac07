using Backup.Core.Storage;
using Backup.Core.Storage.Locations;

namespace Backup.Providers.S3;

/// <summary>
/// Creates <see cref="S3Target"/>s for <c>s3://bucket[/prefix]</c> locations. Register it with a
/// <see cref="TargetResolver"/>, or in a host with <c>AddTargetProvider(new S3TargetProvider())</c>; the backup tool
/// registers it and reads each setting from its environment variable.
/// </summary>
/// <remarks>
/// Settings: <c>Endpoint</c> (BACKUP_S3_ENDPOINT; an S3-compatible server, http:// only to this machine unless
/// insecure HTTP is allowed), <c>Region</c> (BACKUP_S3_REGION, then AWS_REGION, AWS_DEFAULT_REGION; default us-east-1),
/// <c>PathStyle</c> (BACKUP_S3_PATH_STYLE; true or false), <c>AccessKeyId</c> (AWS_ACCESS_KEY_ID),
/// <c>SecretAccessKey</c> (AWS_SECRET_ACCESS_KEY), <c>SessionToken</c> (AWS_SESSION_TOKEN), and for Object Lock
/// <c>RetentionLock</c> (BACKUP_RETENTION_LOCK; a period such as 30d; the bucket must have Object Lock enabled) with
/// <c>RetentionMode</c> (BACKUP_S3_RETENTION_MODE; governance, the default, or compliance).
/// </remarks>
public sealed class S3TargetProvider : ITargetProvider
{
    private const string Form = "s3://BUCKET[/PREFIX]";

    /// <inheritdoc />
    public string Scheme => "s3";

    /// <inheritdoc />
    public IReadOnlyList<TargetSetting> Settings { get; } =
    [
        new("Endpoint", "BACKUP_S3_ENDPOINT", "the http:// or https:// URL of an S3-compatible server (AWS when not set)"),
        new("Region", "BACKUP_S3_REGION", "the bucket's region (us-east-1 when not set)", fallbackEnvironmentVariables: ["AWS_REGION", "AWS_DEFAULT_REGION"]),
        new("PathStyle", "BACKUP_S3_PATH_STYLE", "'true' for path-style requests (most S3-compatible servers) or 'false'"),
        new("AccessKeyId", "AWS_ACCESS_KEY_ID", "the S3 access key id", isRequired: true),
        new("SecretAccessKey", "AWS_SECRET_ACCESS_KEY", "the S3 secret access key", isSecret: true, isRequired: true),
        new("SessionToken", "AWS_SESSION_TOKEN", "the session token of temporary credentials", isSecret: true),
        TargetLocations.RetentionLockSetting("S3 Object Lock; the bucket must have Object Lock enabled"),
        new("RetentionMode", "BACKUP_S3_RETENTION_MODE", "the Object Lock mode with RetentionLock: 'governance' (the default) or 'compliance'"),
    ];

    /// <inheritdoc />
    public IBackupTarget Create(RepositoryLocation location, TargetSettings settings, TargetCreateOptions options)
    {
        ArgumentNullException.ThrowIfNull(location);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(options);
        var (bucket, prefix) = TargetLocations.Split(location, Form, "bucket", $"{settings["AccessKeyId"]} and {settings["SecretAccessKey"]}", settings["Endpoint"].ToString());
        Uri? endpoint = null;
        if (settings.Optional("Endpoint") is { } endpointText
            && (!Uri.TryCreate(endpointText, UriKind.Absolute, out endpoint) || (endpoint.Scheme != Uri.UriSchemeHttps && endpoint.Scheme != Uri.UriSchemeHttp)))
        {
            throw new TargetConfigurationException($"{settings["Endpoint"]} must be an http:// or https:// URL.", "Endpoint");
        }

        var pathStyle = settings.GetBoolean("PathStyle", defaultValue: false);
        var accessKey = settings.Required("AccessKeyId");
        var secretKey = settings.Required("SecretAccessKey");
        var s3Options = new S3TargetOptions
        {
            Endpoint = endpoint,
            Region = settings.Optional("Region") ?? "us-east-1",
            Bucket = bucket,
            Prefix = prefix,
            ForcePathStyle = pathStyle,
            Credentials = new S3Credentials(accessKey, secretKey, settings.Optional("SessionToken")),
            AllowInsecureHttp = options.AllowInsecureHttp,
            ObjectLock = ObjectLock(settings),
        };
        if (s3Options.IsInsecureRemoteHttp && !options.AllowInsecureHttp)
        {
            throw new InsecureTransportException(
                $"{settings["Endpoint"]} is plain http:// to another machine ({endpoint!.Host}): anyone on the network path can read and alter the requests. " +
                "Use https://, or allow insecure HTTP if the network is trusted.",
                "Endpoint");
        }

        if (s3Options.IsInsecureRemoteHttp)
        {
            options.Warn?.Invoke($"{settings["Endpoint"]} is plain http:// to {endpoint!.Host}: requests can be read and altered on the way (insecure HTTP allowed).");
        }

        TargetLocations.Validate(s3Options.Validate);
        return new S3Target(s3Options, options.TimeProvider);
    }

    private static S3ObjectLockOptions? ObjectLock(TargetSettings settings)
    {
        var mode = settings.Optional("RetentionMode")?.Trim().ToLowerInvariant() switch
        {
            null or "governance" => S3ObjectLockMode.Governance,
            "compliance" => S3ObjectLockMode.Compliance,
            _ => throw new TargetConfigurationException($"{settings["RetentionMode"]} must be 'governance' or 'compliance'.", "RetentionMode"),
        };
        if (TargetLocations.RetentionLock(settings) is not { } retainFor)
        {
            return settings.Optional("RetentionMode") is null
                ? null
                : throw new TargetConfigurationException($"{settings["RetentionMode"]} is set but {settings["RetentionLock"]} is not: give the retention period too.", "RetentionLock");
        }

        return new S3ObjectLockOptions { Mode = mode, RetainFor = retainFor };
    }
}
