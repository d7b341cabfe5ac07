using Backup.Core.Chunking;

namespace Backup.Core.Repository;

/// <summary>
/// The repository's configuration, stored in plain JSON as <c>config</c>; it holds no secret, and <see cref="Mac"/>
/// authenticates it with the master key, so a change made outside this library stops the repository from opening.
/// </summary>
public sealed record RepositoryConfig
{
    /// <summary>
    /// The newest format version this library reads. It writes 1; 2 when the repository records user
    /// <see cref="Transforms"/>; 3 when it records a <see cref="RetentionLock"/> (so a reader that predates either
    /// refuses the repository, saying to upgrade, instead of ignoring what it records or failing its authentication).
    /// </summary>
    public const int CurrentVersion = 3;

    /// <summary>The version a config that records a <see cref="RetentionLock"/> is written with.</summary>
    internal const int RetentionLockVersion = 3;

    /// <summary>A marker that says what kind of object this is.</summary>
    public string Format { get; init; } = "backup-sdk-repository";

    /// <summary>The format version.</summary>
    public int Version { get; init; } = 1;

    /// <summary>The repository's random ID.</summary>
    public required string Id { get; init; }

    /// <summary>When the repository was created.</summary>
    public DateTimeOffset Created { get; init; }

    /// <summary>Chunk size limits (the chunker's secret lives in the master key).</summary>
    public required ChunkerOptions Chunker { get; init; }

    /// <summary>The size at which a pack is closed and uploaded.</summary>
    public int PackSize { get; init; } = 32 * 1024 * 1024;

    /// <summary>The compression new blobs get: "zstd", "zstd:LEVEL", "gzip" or "none".</summary>
    public string Compression { get; init; } = "zstd:3";

    /// <summary>
    /// The user transforms new objects go through after compression and before AES-256-GCM, in order, with the
    /// parameters their providers recorded; null (and absent from the JSON) when there are none.
    /// </summary>
    public IReadOnlyList<ConfiguredTransform>? Transforms { get; init; }

    /// <summary>
    /// The retention lock the repository was created with (S3 Object Lock, an Azure immutability policy); null (and
    /// absent from the JSON) when it has none. Every write must go through a target that keeps at least this lock
    /// (<see cref="Backup.Core.Storage.RetentionLock.IsKeptBy"/>), or it is refused with
    /// <see cref="RetentionLockRequiredException"/>.
    /// </summary>
    public Backup.Core.Storage.RetentionLock? RetentionLock { get; init; }

    /// <summary>
    /// HMAC-SHA256, in lowercase hex, of this config serialised without this field, under a key derived from the
    /// master key (docs/repository-format.md, section 4).
    /// </summary>
    public string? Mac { get; init; }
}
