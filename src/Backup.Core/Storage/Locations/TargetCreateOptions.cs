namespace Backup.Core.Storage.Locations;

/// <summary>How <see cref="TargetResolver.Create"/> creates and wraps a target.</summary>
public sealed class TargetCreateOptions
{
    /// <summary>
    /// Whether the location may not exist yet (a repository is about to be created there). When false, a missing local
    /// directory is a <see cref="Backup.Core.Repository.RepositoryNotFoundException"/>.
    /// </summary>
    public bool CreateIfMissing { get; init; }

    /// <summary>Accept a plain http:// endpoint on another machine (requests and credentials travel in clear); <see cref="Warn"/> is told.</summary>
    public bool AllowInsecureHttp { get; init; }

    /// <summary>Told (with a sentence, never a secret) when an insecure setting is used anyway.</summary>
    public Action<string>? Warn { get; init; }

    /// <summary>Decorates the storage target itself, inside the retry layer (request counting, say); none when null.</summary>
    /// <remarks>A decorator that should dispose the target must own it (see <see cref="DelegatingTarget"/>).</remarks>
    public Func<IBackupTarget, IBackupTarget>? Wrap { get; init; }

    /// <summary>
    /// Upload and download limits shared by every request to the target; none when null. The target is wrapped in a
    /// <see cref="BandwidthLimitedTarget"/> outside <see cref="Wrap"/> and inside the retry layer, so a retried request
    /// is charged again. Validated by <see cref="TargetResolver.Create"/>.
    /// </summary>
    public BandwidthLimitOptions? Bandwidth { get; init; }

    /// <summary>
    /// How long a request to a remote target may take before it fails as transient (and is retried), plus the time to
    /// move its bytes at <see cref="RequestDeadlineTarget.SlowestBytesPerSecond"/>; see <see cref="RequestDeadlineTarget"/>.
    /// Default 30 seconds; null waits as long as the storage's client library does (hours for S3 when a server accepts
    /// connections and never answers).
    /// </summary>
    public TimeSpan? RequestTimeout { get; init; } = RequestDeadlineTarget.DefaultTimeout;

    /// <summary>Whether a remote target (any but a local directory) is wrapped in a <see cref="RetryingTarget"/> that owns it. Default true.</summary>
    public bool Retry { get; init; } = true;

    /// <summary>The clock of retries, bandwidth limits and providers that sign requests; the system clock when null.</summary>
    public TimeProvider? TimeProvider { get; init; }
}
