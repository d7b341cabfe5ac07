namespace Backup.Core.Repository.Blobs;

/// <summary>Where a blob is stored: which pack, where in it, and how large it is stored and decoded.</summary>
/// <param name="Pack">The ID of the pack (the SHA-256 of its bytes).</param>
/// <param name="Type">The blob's type.</param>
/// <param name="Offset">The blob's first byte within the pack.</param>
/// <param name="Length">The stored (encoded) length.</param>
/// <param name="RawLength">The plaintext length.</param>
internal readonly record struct BlobLocation(BlobId Pack, BlobType Type, uint Offset, uint Length, uint RawLength);
