namespace Backup.Core.Repository.Records;

/// <summary>One record read back from a repository: its ID (the hash of its stored bytes) and its decrypted content.</summary>
/// <param name="Kind">The kind it was stored under.</param>
/// <param name="Id">Its ID: the SHA-256 of the stored (encrypted) bytes, which is also its object name.</param>
/// <param name="Content">The content as it was saved.</param>
public sealed record StoredRecord(string Kind, BlobId Id, ReadOnlyMemory<byte> Content);
