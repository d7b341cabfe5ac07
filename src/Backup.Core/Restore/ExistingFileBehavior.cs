namespace Backup.Core.Restore;

/// <summary>What a restore does when an entry already exists in the target directory.</summary>
public enum ExistingFileBehavior
{
    /// <summary>Replaces it (atomically, by renaming the restored copy over it; an existing symlink is replaced, never written through).</summary>
    Overwrite = 0,

    /// <summary>Leaves it as it is.</summary>
    Skip = 1,

    /// <summary>Stops the restore with an <see cref="IOException"/>.</summary>
    Fail = 2,

    /// <summary>
    /// Leaves a regular file that has the snapshot's size and modification time (one a restore finished), and replaces
    /// everything else as <see cref="Overwrite"/> does: how a restore that was stopped, even killed, is resumed.
    /// </summary>
    OverwriteChanged = 3,
}
