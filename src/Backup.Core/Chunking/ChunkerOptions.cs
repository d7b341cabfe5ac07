namespace Backup.Core.Chunking;

/// <summary>
/// Chunk size limits for content-defined chunking. The defaults (512 KiB / 1 MiB / 8 MiB) were chosen by
/// measurement: see docs/chunking.md.
/// </summary>
public sealed record ChunkerOptions
{
    /// <summary>No chunk is smaller than this, except the last of a stream.</summary>
    public int MinSize { get; init; } = 512 * 1024;

    /// <summary>The size chunks are normalised towards; a power of two.</summary>
    public int AverageSize { get; init; } = 1024 * 1024;

    /// <summary>No chunk is larger than this.</summary>
    public int MaxSize { get; init; } = 8 * 1024 * 1024;

    /// <summary>Throws <see cref="ArgumentException"/> naming the bad setting.</summary>
    public void Validate()
    {
        if (MinSize < 64)
        {
            throw new ArgumentException($"Chunker {nameof(MinSize)} must be at least 64 bytes (was {MinSize}).");
        }

        if (AverageSize <= MinSize || (AverageSize & (AverageSize - 1)) != 0)
        {
            throw new ArgumentException($"Chunker {nameof(AverageSize)} must be a power of two larger than {nameof(MinSize)} (was {AverageSize}).");
        }

        if (MaxSize <= AverageSize || MaxSize > 64 * 1024 * 1024)
        {
            throw new ArgumentException($"Chunker {nameof(MaxSize)} must be larger than {nameof(AverageSize)} and at most 64 MiB (was {MaxSize}).");
        }
    }
}
