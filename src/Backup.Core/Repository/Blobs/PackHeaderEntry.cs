namespace Backup.Core.Repository.Blobs;

/// <summary>One blob as a pack's header describes it.</summary>
/// <param name="Id">The blob's keyed ID.</param>
/// <param name="Type">The blob's type.</param>
/// <param name="Offset">Where the stored blob starts in the pack.</param>
/// <param name="Length">The stored length.</param>
/// <param name="RawLength">The plaintext length.</param>
internal readonly record struct PackHeaderEntry(BlobId Id, BlobType Type, uint Offset, uint Length, uint RawLength);
