namespace Backup.Core.Restore;

/// <summary>The outcome of a restore.</summary>
/// <param name="Files">Non-directory entries restored (files, hard links, symlinks, special files).</param>
/// <param name="Directories">Directories created or reused.</param>
/// <param name="Bytes">Content bytes written.</param>
/// <param name="Problems">Entries not restored, or restored incompletely, and why.</param>
/// <param name="Duration">How long the restore took.</param>
public sealed record RestoreResult(long Files, long Directories, long Bytes, IReadOnlyList<RestoreProblem> Problems, TimeSpan Duration)
{
    /// <summary>Whether everything selected was restored.</summary>
    public bool IsComplete => Problems.Count == 0;
}
