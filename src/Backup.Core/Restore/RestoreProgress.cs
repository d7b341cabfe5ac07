namespace Backup.Core.Restore;

/// <summary>How far a restore has got.</summary>
public readonly record struct RestoreProgress
{
    /// <summary>Regular files restored so far (hard links included; symlinks and special files are not counted here).</summary>
    public required long Files { get; init; }

    /// <summary>Directories created or reused.</summary>
    public required long Directories { get; init; }

    /// <summary>Content bytes written.</summary>
    public required long Bytes { get; init; }

    /// <summary>The snapshot path last finished.</summary>
    public required string? CurrentPath { get; init; }

    /// <summary>Time since the start.</summary>
    public required TimeSpan Elapsed { get; init; }
}
