using Backup.Core.Storage;
using Backup.Core.Transforms;

namespace Backup.Extensions.DependencyInjection;

/// <summary>
/// One named repository: where it is (a local <see cref="Path"/> or a <see cref="TargetFactory"/> for SFTP, S3,
/// Azure…), how it is unlocked (exactly one key source) and, when it is created, how it compresses.
/// </summary>
public sealed class BackupRepositoryOptions
{
    /// <summary>A local directory holding the repository (the simple case; ignored when <see cref="TargetFactory"/> is set).</summary>
    public string? Path { get; set; }

    /// <summary>Builds the storage target (for providers other than a local directory). Code only.</summary>
    /// <remarks>
    /// Called once per repository; return a new target. The hosting layer owns what the factory returns and disposes it
    /// (when it is <see cref="IDisposable"/> or <see cref="IAsyncDisposable"/>) after the repository, when the service
    /// provider is disposed; the same goes for the local directory target it makes from <see cref="Path"/>.
    /// </remarks>
    public Func<IServiceProvider, IBackupTarget>? TargetFactory { get; set; }

    /// <summary>Whether transient target failures are retried (wraps the target in a <see cref="RetryingTarget"/>). Default true.</summary>
    public bool Retry { get; set; } = true;

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

    /// <summary>Key source: a file whose content (trailing newline trimmed) is the password.</summary>
    public string? PasswordFile { get; set; }

    /// <summary>Key source: a key file (raw bytes) instead of a password.</summary>
    public string? KeyFile { get; set; }

    /// <summary>Key source: the configuration key (e.g. "Secrets:BackupPassword", usually fed by a secret store provider) whose value is the password.</summary>
    public string? PasswordConfigurationKey { get; set; }

    /// <summary>Key source built in code (a vault or KMS client, see <see cref="DelegateKeySource"/>). Code only; wins over the settings above.</summary>
    public Func<IServiceProvider, IRepositoryKeySource>? KeySource { get; set; }
}
