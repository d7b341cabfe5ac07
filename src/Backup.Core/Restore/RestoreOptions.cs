namespace Backup.Core.Restore;

/// <summary>How a restore behaves.</summary>
public sealed record RestoreOptions
{
    /// <summary>
    /// Snapshot paths (with or without a leading '/') to restore; only those subtrees are restored, and the
    /// directories leading to them are created. Everything when empty.
    /// </summary>
    public IReadOnlyList<string> Include { get; init; } = [];

    /// <summary>What to do with entries that already exist in the target.</summary>
    public ExistingFileBehavior Existing { get; init; } = ExistingFileBehavior.Overwrite;

    /// <summary>Files restored at once.</summary>
    public int Parallelism { get; init; } = 2 * Environment.ProcessorCount;

    /// <summary>Restores owner and group (only possible, and only attempted, when running as root).</summary>
    public bool RestoreOwnership { get; init; } = true;

    /// <summary>
    /// Whether character and block device nodes are created (as root; others cannot). Null, the default: only when
    /// restoring into the original place, the file system's root directory '/' (snapshot paths are the absolute source
    /// paths, so there every node gets back its own path); elsewhere they are skipped and each is reported, since a
    /// device node anywhere else, with the snapshot's numbers and mode, can open a disk or memory to whoever may reach
    /// it. True restores them anywhere (a container or system image); false never does.
    /// </summary>
    public bool? DeviceNodes { get; init; }

    /// <summary>
    /// Holds a shared lock on the repository during the restore, so that no prune or repair deletes data it reads
    /// (they are refused until it ends). Turn it off only for a repository that cannot be written, on read-only
    /// media, where no prune can run either.
    /// </summary>
    public bool Lock { get; init; } = true;

    /// <summary>
    /// Reads each file back once it is written and compares it with the snapshot, chunk by chunk, by the chunk's keyed
    /// ID; a file that differs is removed and reported like one that could not be restored. On the local file system
    /// each file is first written to its device (fdatasync) and dropped from the page cache, so what is compared is
    /// what the device returns: it catches a disk, file system or driver that loses or changes writes, and costs a
    /// device write per file and a second read and hash of every restored byte.
    /// </summary>
    public bool Verify { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the bad setting.</summary>
    public void Validate()
    {
        if (Parallelism < 1)
        {
            throw new ArgumentException($"{nameof(Parallelism)} must be at least 1.");
        }

        if (!Enum.IsDefined(Existing))
        {
            throw new ArgumentException($"{nameof(Existing)} has the unknown value {(int)Existing}.");
        }

        foreach (var include in Include)
        {
            if (include is null || include.Contains('\0', StringComparison.Ordinal))
            {
                throw new ArgumentException("An include path is null or contains NUL.");
            }
        }
    }
}
