using Backup.Core.Storage;
using Backup.Core.Transforms;

namespace Backup.Extensions.DependencyInjection;

/// <summary>
/// One named repository: where it is (a <see cref="Location"/> with its <see cref="Settings"/>, or a
/// <see cref="TargetFactory"/> in code), how it is unlocked (exactly one key source) and, when it is created, how it compresses.
/// </summary>
public sealed class BackupRepositoryOptions
{
    /// <summary>
    /// Where the repository is, as the backup tool's <c>--repo</c> takes it: a directory path, <c>file:///path</c>,
    /// <c>sftp://user@host[:port]/path</c>, <c>s3://bucket[/prefix]</c> or <c>azure://container[/prefix]</c> (ignored
    /// when <see cref="TargetFactory"/> is set). Schemes other than a local directory need their provider registered
    /// with <see cref="BackupBuilder.AddTargetProvider"/>; their endpoint, region and credentials come from <see cref="Settings"/>.
    /// </summary>
    public string? Location { get; set; }

    /// <summary>The older name of <see cref="Location"/>, kept so existing configuration goes on working: a directory path (or any location). Set one of the two.</summary>
    public string? Path { get; set; }

    /// <summary>
    /// The target provider's settings by name (case-insensitive), such as "Endpoint", "Region", "PathStyle",
    /// "AccessKeyId" and "SecretAccessKey" for S3 (each provider's documentation lists its own). A setting not given here
    /// is read from the environment variable the backup tool reads it from (AWS_SECRET_ACCESS_KEY…), then from
    /// <see cref="SettingResolver"/>. A name the provider does not know fails validation at start-up.
    /// </summary>
    /// <remarks>Secrets can come here from a secret-store configuration provider or an environment variable such as <c>Backup__Repositories__main__Settings__SecretAccessKey</c>.</remarks>
    public Dictionary<string, string> Settings { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The last place a target setting is looked for, after <see cref="Settings"/> and the setting's environment variable:
    /// called with the setting's name ("SecretAccessKey"), returns its value or null (the adapter for a vault client). Code only.
    /// </summary>
    public Func<IServiceProvider, string, string?>? SettingResolver { get; set; }

    /// <summary>Accept a plain http:// endpoint on another machine (requests and credentials travel in clear; a warning is logged). Default false.</summary>
    public bool AllowInsecureHttp { get; set; }

    /// <summary>The location in effect: <see cref="Location"/>, else <see cref="Path"/>.</summary>
    internal string? EffectiveLocation => string.IsNullOrWhiteSpace(Location) ? Path : Location;

    /// <summary>Builds the storage target (for providers other than a local directory). Code only.</summary>
    /// <remarks>
    /// Called once per repository; return a new target. The hosting layer owns what the factory returns and disposes it
    /// (when it is <see cref="IDisposable"/> or <see cref="IAsyncDisposable"/>) after the repository, when the service
    /// provider is disposed; the same goes for the target it makes from <see cref="Location"/>.
    /// </remarks>
    public Func<IServiceProvider, IBackupTarget>? TargetFactory { get; set; }

    /// <summary>Whether transient target failures are retried (wraps the target in a <see cref="RetryingTarget"/>). Default true.</summary>
    public bool Retry { get; set; } = true;

    /// <summary>
    /// How long a request to a remote repository may take, plus the time to move its bytes, before it fails and is
    /// retried (<see cref="RequestDeadlineTarget"/>): a server that accepts connections and never answers fails a run in
    /// minutes instead of hours. Default 30 seconds; zero waits as long as the storage's client library does. Applies to a
    /// <c>Location</c>, not to a <see cref="TargetFactory"/>'s target.
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = RequestDeadlineTarget.DefaultTimeout;

    /// <summary>
    /// Opens the repository append-only (an <see cref="AppendOnlyTarget"/>): backups add objects, but nothing is ever
    /// deleted or overwritten except this process's own lock objects, so retention and prune fail on this repository.
    /// Protects against mistakes; against a compromised host, make the storage itself refuse deletes (S3 Object Lock,
    /// an Azure immutability policy, a credential without delete rights; the RetentionLock setting turns on the first two).
    /// Default false.
    /// </summary>
    public bool AppendOnly { get; set; }

    /// <summary>
    /// Upload at most this rate to the repository, across all its connections: "10M", "512K", "1.5MiB", "8MB" (K/M/G and
    /// KiB/MiB/GiB are powers of 1024, KB/MB/GB powers of 1000, a bare number is KiB/s as in restic). No limit when empty.
    /// A retried request counts again.
    /// </summary>
    public string? LimitUpload { get; set; }

    /// <summary>Download at most this rate from the repository, across all its connections (the syntax of <see cref="LimitUpload"/>). No limit when empty.</summary>
    public string? LimitDownload { get; set; }

    /// <summary>The limits of <see cref="LimitUpload"/> and <see cref="LimitDownload"/> (validated at start-up); null when neither is set.</summary>
    internal BandwidthLimitOptions? Bandwidth =>
        string.IsNullOrWhiteSpace(LimitUpload) && string.IsNullOrWhiteSpace(LimitDownload)
            ? null
            : new BandwidthLimitOptions
            {
                UploadBytesPerSecond = string.IsNullOrWhiteSpace(LimitUpload) ? null : BandwidthLimitOptions.ParseRate(LimitUpload),
                DownloadBytesPerSecond = string.IsNullOrWhiteSpace(LimitDownload) ? null : BandwidthLimitOptions.ParseRate(LimitDownload),
            };

    /// <summary>Creates the repository when the target holds none (otherwise opening it fails). Default false.</summary>
    public bool CreateIfMissing { get; set; }

    /// <summary>
    /// Opens the repository with its key when the host starts (creating it with <see cref="CreateIfMissing"/>), so a
    /// wrong or missing password or an unreachable target fails start-up, naming the repository and the key setting,
    /// instead of the first run. Default false (opened on first use).
    /// </summary>
    public bool OpenOnStart { get; set; }

    /// <summary>The compression of a repository created here ("zstd:2" by default, "zstd:LEVEL", "gzip", "none"…); an existing repository keeps its own.</summary>
    public string Compression { get; set; } = "zstd:2";

    /// <summary>
    /// User transforms (an envelope key from a KMS, say; see samples/EnvelopeEncryption): a repository created here
    /// applies them all, in order, after compression; an existing one opens with those its config names and fails
    /// naming any it needs that is missing. Code only.
    /// </summary>
    public Func<IServiceProvider, IEnumerable<ITransformProvider>>? Transforms { get; set; }

    /// <summary>Key source: the environment variable holding the password.</summary>
    public string? PasswordEnvironmentVariable { get; set; }

    /// <summary>Key source: a file whose first line (without its line ending) is the password, read as the backup tool reads its password files.</summary>
    public string? PasswordFile { get; set; }

    /// <summary>Key source: a key file (raw bytes) instead of a password.</summary>
    public string? KeyFile { get; set; }

    /// <summary>Key source: the configuration key (e.g. "Secrets:BackupPassword", usually fed by a secret store provider) whose value is the password.</summary>
    public string? PasswordConfigurationKey { get; set; }

    /// <summary>Key source built in code (a vault or KMS client, see <see cref="DelegateKeySource"/>). Code only; wins over the settings above.</summary>
    public Func<IServiceProvider, IRepositoryKeySource>? KeySource { get; set; }
}
