namespace Backup.Core.Restore;

/// <summary>One entry that was not (completely) restored.</summary>
public sealed record RestoreProblem
{
    /// <summary>The entry's snapshot path.</summary>
    public required string Path { get; init; }

    /// <summary>What went wrong.</summary>
    public required string Reason { get; init; }

    /// <summary>Whether the cause is in the repository: data of the entry (a chunk, or a directory's tree) is missing, damaged or altered there.</summary>
    public bool RepositoryDamaged { get; init; }

    /// <summary>What restores the entry, when a restore option does (see <see cref="RestoreProblemRemedy"/>).</summary>
    public RestoreProblemRemedy Remedy { get; init; }

    /// <summary>
    /// Whether the entry is a device node this restore did not create (see <see cref="RestoreOptions.DeviceNodes"/>):
    /// nothing is wrong with it in the snapshot, so a caller that never creates device nodes (a test restore, a drill)
    /// may count it apart from real problems.
    /// </summary>
    public bool SkippedDeviceNode { get; init; }

    /// <summary>Whether the entry was not written at all because the target filled up (see <see cref="RestoreTargetFullException"/>).</summary>
    internal bool NotWritten { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"{Path}: {Reason}";
}
