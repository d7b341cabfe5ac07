namespace Backup.Core.Restore;

/// <summary>How far a restore has got.</summary>
/// <param name="Files">Non-directory entries restored.</param>
/// <param name="Directories">Directories created or reused.</param>
/// <param name="Bytes">Content bytes written.</param>
/// <param name="CurrentPath">The snapshot path last finished.</param>
/// <param name="Elapsed">Time since the start.</param>
public readonly record struct RestoreProgress(long Files, long Directories, long Bytes, string? CurrentPath, TimeSpan Elapsed);
