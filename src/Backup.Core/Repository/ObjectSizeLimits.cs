namespace Backup.Core.Repository;

/// <summary>
/// The most bytes each kind of stored object may hold. Objects are authenticated only after they are read, so every
/// whole read names its kind's limit (see <see cref="Storage.BackupTargetExtensions.ReadAllAsync"/>):
/// storage that reports or serves more is damaged or hostile and is refused before anything that large is allocated.
/// Each limit is far above what this library writes; see docs/repository-format.md.
/// </summary>
internal static class ObjectSizeLimits
{
    private const long MiB = 1024 * 1024;

    /// <summary>The plain JSON config (a few hundred bytes).</summary>
    public const long Config = 1 * MiB;

    /// <summary>A key object (under a kilobyte).</summary>
    public const long Key = 1 * MiB;

    /// <summary>A lock object (a few hundred bytes).</summary>
    public const long Lock = 1 * MiB;

    /// <summary>A snapshot object (its paths, tags and summary).</summary>
    public const long Snapshot = 64 * MiB;

    /// <summary>An index object (250,000 blobs of 45 bytes each when written by this library).</summary>
    public const long Index = 256 * MiB;

    /// <summary>
    /// A pack: at most 256 MiB of blobs, plus the blob that crossed that size (a chunk is at most 64 MiB; a tree blob
    /// of a huge directory can be larger), plus its header.
    /// </summary>
    public const long Pack = 1024 * MiB;

    /// <summary>An encoded pack header; decoded headers are limited to 512 MiB (PackFormat).</summary>
    public const long PackHeader = 512 * MiB;
}
