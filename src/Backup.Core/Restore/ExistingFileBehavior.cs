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
}
