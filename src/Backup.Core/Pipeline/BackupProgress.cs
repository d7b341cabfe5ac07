namespace Backup.Core.Pipeline;

/// <summary>How far a backup has got.</summary>
/// <param name="Files">Entries finished.</param>
/// <param name="BytesProcessed">Content bytes covered (read, or trusted as unchanged).</param>
/// <param name="BytesRead">Content bytes actually read.</param>
/// <param name="BytesStored">Bytes uploaded so far.</param>
/// <param name="CurrentPath">The entry last finished.</param>
/// <param name="Elapsed">Time since the start.</param>
public readonly record struct BackupProgress(long Files, long BytesProcessed, long BytesRead, long BytesStored, string? CurrentPath, TimeSpan Elapsed);
