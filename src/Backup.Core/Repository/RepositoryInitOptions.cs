using Backup.Core.Chunking;
using Backup.Core.Crypto;
using Backup.Core.Transforms;

namespace Backup.Core.Repository;

/// <summary>Settings fixed when a repository is created.</summary>
public sealed record RepositoryInitOptions
{
    /// <summary>Chunk size limits.</summary>
    public ChunkerOptions Chunker { get; init; } = new();

    /// <summary>The pack size (4 to 256 MiB; 16 MiB by default, which bounds the memory a backup holds in packs to about 60 MiB).</summary>
    public int PackSize { get; init; } = 16 * 1024 * 1024;

    /// <summary>
    /// Compression for new blobs: "zstd", "zstd:LEVEL" (1–19), "gzip" or "none". The default, zstd level 2, stores
    /// about 3% more than level 3 on a tree of binaries and text for about a third less compression CPU (docs/chunking.md).
    /// </summary>
    public string Compression { get; init; } = "zstd:2";

    /// <summary>
    /// Null (the default): a password key uses Argon2id (t = 12, m = 32 MiB), or PBKDF2 with 600,000 iterations where
    /// libsodium is unavailable. A number: the first key uses PBKDF2 with that many iterations (600,000 to 6,000,000).
    /// </summary>
    public int? KdfIterations { get; init; }

    /// <summary>A label for the first key.</summary>
    public string? KeyLabel { get; init; }

    /// <summary>
    /// User transforms every new object goes through, in this order, after compression and before AES-256-GCM; the
    /// config records their names, and opening the repository needs the same providers registered
    /// (<see cref="RepositoryOpenOptions.Transforms"/>). Empty by default.
    /// </summary>
    public IReadOnlyList<ITransformProvider> Transforms { get; init; } = [];

    /// <summary>Throws <see cref="ArgumentException"/> naming the bad setting.</summary>
    public void Validate()
    {
        Chunker.Validate();
        if (PackSize < 4 * 1024 * 1024 || PackSize > 256 * 1024 * 1024)
        {
            throw new ArgumentException($"{nameof(PackSize)} must be between 4 MiB and 256 MiB (was {PackSize}).");
        }

        if (KdfIterations is < KeyDerivation.MinimumIterations or > KeyDerivation.MaximumIterations)
        {
            throw new ArgumentException($"{nameof(KdfIterations)} must be from {KeyDerivation.MinimumIterations} to {KeyDerivation.MaximumIterations} (was {KdfIterations}).");
        }

        _ = CompressionSetting.Parse(Compression);
        UserTransforms.Validate(Transforms, nameof(Transforms));
    }
}
