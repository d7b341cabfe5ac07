namespace Backup.Core.Restore;

/// <summary>
/// What restoring a <see cref="RestoreProblem"/>'s entry takes, as data, so that a tool can say it with its own
/// options where the <see cref="RestoreProblem.Reason"/> names the library's.
/// </summary>
public enum RestoreProblemRemedy
{
    /// <summary>Nothing a restore option changes; the reason says what is wrong.</summary>
    None = 0,

    /// <summary>
    /// The entry was left as it was (<see cref="ExistingFileBehavior.Skip"/>) but is not the snapshot's: restoring
    /// again with <see cref="ExistingFileBehavior.OverwriteChanged"/> replaces it, and only what differs.
    /// </summary>
    OverwriteChanged = 1,

    /// <summary>
    /// A device node was skipped because the target is not its original place ('/'): restoring again with
    /// <see cref="RestoreOptions.DeviceNodes"/> true creates it there (as root).
    /// </summary>
    DeviceNodes = 2,
}
