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

    /// <summary>
    /// The regular files the source holds, counted by a metadata-only walk alongside the backup; null until that walk
    /// has finished, and always for sources that cannot be counted ahead (streams, databases). Compare with <see cref="Files"/>.
    /// </summary>
    public long? TotalFiles { get; init; }

    /// <summary>
    /// The content bytes of those files, counted with <see cref="TotalFiles"/> and null until then; compare with
    /// <see cref="BytesProcessed"/>, which counts unchanged files trusted from the parent snapshot as done.
    /// </summary>
    public long? TotalBytes { get; init; }
}
