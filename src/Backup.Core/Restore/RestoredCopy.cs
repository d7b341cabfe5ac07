namespace Backup.Core.Restore;

/// <summary>
/// A file this restore wrote, verified and closed, that later files of the same content may be copied from: where it
/// is, and which inode it is, so that a different file put at its path meanwhile is not taken for it.
/// </summary>
internal readonly record struct RestoredCopy(string Path, ulong Device, ulong Inode);
