namespace Backup.Core.Pipeline;

/// <summary>How far a backup has got.</summary>
public readonly record struct BackupProgress
{
    /// <summary>Entries finished.</summary>
    public required long Files { get; init; }

    /// <summary>Content bytes covered (read, or trusted as unchanged).</summary>
    public required long BytesProcessed { get; init; }

    /// <summary>Content bytes actually read.</summary>
    public required long BytesRead { get; init; }

    /// <summary>Bytes uploaded so far.</summary>
    public required long BytesStored { get; init; }

    /// <summary>The entry last finished.</summary>
    public required string? CurrentPath { get; init; }

    /// <summary>Time since the start.</summary>
    public required TimeSpan Elapsed { get; init; }
}
