using Amazon.S3;

namespace Backup.Providers.S3;

/// <summary>Where and how <see cref="S3Target"/> stores objects. <see cref="ToString"/> never shows the credentials.</summary>
public sealed record S3TargetOptions
{
    /// <summary>The service URL of an S3-compatible server (e.g. <c>https://s3.example.net</c>); <see langword="null"/> for AWS itself (then <see cref="Region"/> picks the endpoint).</summary>
    public Uri? Endpoint { get; init; }

    /// <summary>The region to sign requests for (AWS region name, or whatever the S3-compatible server expects).</summary>
    public string Region { get; init; } = "us-east-1";

    /// <summary>The bucket. It must exist.</summary>
    public required string Bucket { get; init; }

    /// <summary>A key prefix inside the bucket for this repository, e.g. <c>backups/host1</c>; empty for the bucket root.</summary>
    public string Prefix { get; init; } = string.Empty;

    /// <summary>Addresses the bucket in the path (<c>host/bucket/key</c>) rather than the host name; most S3-compatible servers need it.</summary>
    public bool ForcePathStyle { get; init; }

    /// <summary>The access key; never logged or shown.</summary>
    public required S3Credentials Credentials { get; init; }

    /// <summary>Objects of this size or larger go up as a multipart upload. At least <see cref="PartSize"/>.</summary>
    public long MultipartThreshold { get; init; } = 16 * 1024 * 1024;

    /// <summary>The size of each multipart part (S3 needs at least 5 MiB for all parts but the last).</summary>
    public int PartSize { get; init; } = 8 * 1024 * 1024;

    /// <summary>How many parts of one object upload at the same time.</summary>
    public int PartConcurrency { get; init; } = 4;

    /// <summary>
    /// Uses request/response checksums that every S3-compatible server handles: checksums only where an operation
    /// requires them, no aws-chunked streaming bodies, and a Content-MD5 on every upload so the server rejects a
    /// damaged body. AWSSDK v4's defaults (a CRC trailer in aws-chunked encoding) are stored corrupted by servers
    /// that do not decode that encoding. Leave on unless the server is AWS itself and you want the SDK defaults.
    /// </summary>
    public bool CompatibleChecksums { get; init; } = true;

    /// <summary>How many times the SDK retries throttling (503 SlowDown), 5xx and network errors, with backoff and jitter.</summary>
    public int MaxErrorRetry { get; init; } = 4;

    /// <summary>The SDK retry mode; <see cref="Amazon.Runtime.RequestRetryMode.Standard"/> backs off exponentially with jitter.</summary>
    public Amazon.Runtime.RequestRetryMode RetryMode { get; init; } = Amazon.Runtime.RequestRetryMode.Standard;

    /// <summary>Request timeout.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>S3 Object Lock retention for new objects; <see langword="null"/> writes no retention.</summary>
    public S3ObjectLockOptions? ObjectLock { get; init; }

    /// <summary>
    /// Allows an <c>http://</c> <see cref="Endpoint"/> on another machine. Off by default: over plain HTTP anyone on
    /// the path sees every request (and a session token, which travels in a header), and can replay, delay or drop
    /// them, delete objects or hand back stale ones, so <see cref="Validate"/> refuses such an endpoint. The
    /// repository's contents stay encrypted and authenticated either way. Plain HTTP to this machine
    /// (<c>localhost</c>, 127.0.0.0/8, <c>::1</c>) is always allowed: the traffic does not leave it.
    /// </summary>
    public bool AllowInsecureHttp { get; init; }

    /// <summary>Whether requests go over plain HTTP to another machine (allowed only with <see cref="AllowInsecureHttp"/>).</summary>
    public bool IsInsecureRemoteHttp => Endpoint is { } endpoint && endpoint.Scheme == Uri.UriSchemeHttp && !endpoint.IsLoopback;

    /// <summary>Adjusts the SDK client configuration last (proxies, HTTP client factory, test hooks).</summary>
    public Action<AmazonS3Config>? ConfigureClient { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the bad setting.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Bucket))
        {
            throw new ArgumentException($"{nameof(Bucket)} is required.");
        }

        ArgumentNullException.ThrowIfNull(Credentials);
        if (PartSize < 5 * 1024 * 1024)
        {
            throw new ArgumentException($"{nameof(PartSize)} must be at least 5 MiB (was {PartSize}).");
        }

        if (MultipartThreshold < PartSize)
        {
            throw new ArgumentException($"{nameof(MultipartThreshold)} must be at least {nameof(PartSize)}.");
        }

        if (PartConcurrency < 1 || MaxErrorRetry < 0)
        {
            throw new ArgumentException($"{nameof(PartConcurrency)} must be at least 1 and {nameof(MaxErrorRetry)} non-negative.");
        }

        if (Prefix.StartsWith('/') || Prefix.Contains('\\', StringComparison.Ordinal))
        {
            throw new ArgumentException($"{nameof(Prefix)} must be relative and use '/' separators.");
        }

        if (Endpoint is { UserInfo.Length: > 0 })
        {
            // Not shown: it would print whatever secret it carries.
            throw new ArgumentException($"{nameof(Endpoint)} must not carry a user name or password; give the access key through {nameof(Credentials)}.");
        }

        if (IsInsecureRemoteHttp && !AllowInsecureHttp)
        {
            throw new ArgumentException(
                $"{nameof(Endpoint)} uses plain http:// to another machine ({Endpoint!.Host}), where anyone on the path can read and alter the requests; " +
                $"use https://, or set {nameof(AllowInsecureHttp)} if the network is trusted.");
        }

        ObjectLock?.Validate();
    }

    /// <summary>Describes the target without credentials.</summary>
    public override string ToString() => $"s3://{Bucket}/{Prefix} at {Endpoint?.ToString() ?? "AWS " + Region}";
}

/// <summary>An S3 access key. <see cref="ToString"/> shows only the access key id's first characters.</summary>
public sealed class S3Credentials
{
    /// <summary>Creates the credentials.</summary>
    public S3Credentials(string accessKeyId, string secretAccessKey, string? sessionToken = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(accessKeyId);
        ArgumentException.ThrowIfNullOrEmpty(secretAccessKey);
        AccessKeyId = accessKeyId;
        SecretAccessKey = secretAccessKey;
        SessionToken = sessionToken;
    }

    /// <summary>The access key id (not secret on its own, but shown shortened anyway).</summary>
    public string AccessKeyId { get; }

    internal string SecretAccessKey { get; }

    internal string? SessionToken { get; }

    /// <summary>Names the key without the secret.</summary>
    public override string ToString() => $"S3 access key {AccessKeyId[..Math.Min(4, AccessKeyId.Length)]}…";
}

/// <summary>The Object Lock retention mode.</summary>
public enum S3ObjectLockMode
{
    /// <summary>Users with s3:BypassGovernanceRetention may still delete or shorten the retention.</summary>
    Governance,

    /// <summary>Nobody, not even the root account, can delete the object version before the date.</summary>
    Compliance,
}

/// <summary>Object Lock retention written with each new object (the bucket must have Object Lock enabled).</summary>
public sealed record S3ObjectLockOptions
{
    /// <summary>The retention mode.</summary>
    public S3ObjectLockMode Mode { get; init; } = S3ObjectLockMode.Governance;

    /// <summary>How long each new object is retained from the time it is written.</summary>
    public required TimeSpan RetainFor { get; init; }

    /// <summary>Which keys get retention: by default packs and snapshots (locks, indexes and config stay deletable).</summary>
    public IReadOnlyList<string> KeyPrefixes { get; init; } = ["data/", "snapshots/"];

    /// <summary>Throws <see cref="ArgumentException"/> naming the bad setting.</summary>
    public void Validate()
    {
        if (RetainFor <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{nameof(RetainFor)} must be positive.");
        }
    }

    internal bool Applies(string key) => KeyPrefixes.Any(p => key.StartsWith(p, StringComparison.Ordinal));
}
