using Backup.Core.Snapshots;

namespace Backup.Core.Pipeline;

/// <summary>How one backup run behaves.</summary>
public sealed record BackupOptions
{
    /// <summary>What is re-read; see <see cref="BackupLevel"/>. A level other than Full with no suitable parent runs as Full.</summary>
    public BackupLevel Level { get; init; } = BackupLevel.Incremental;

    /// <summary>Tags recorded in the snapshot.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>The host recorded in the snapshot (and used to find the parent); the machine name when null.</summary>
    public string? Hostname { get; init; }

    /// <summary>Files read at once; the processor count when null (more only adds buffers: the encoders set the pace).</summary>
    public int? FilesInFlight { get; init; }

    /// <summary>Encoding workers; the processor count when null.</summary>
    public int? EncodeWorkers { get; init; }

    /// <summary>Source-specific facts to record in the snapshot.</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the bad setting.</summary>
    public void Validate()
    {
        if (FilesInFlight is < 1 || EncodeWorkers is < 1)
        {
            throw new ArgumentException($"{nameof(FilesInFlight)} and {nameof(EncodeWorkers)} must be at least 1.");
        }

        foreach (var tag in Tags)
        {
            if (string.IsNullOrWhiteSpace(tag) || tag.Contains(',', StringComparison.Ordinal))
            {
                throw new ArgumentException($"Tag '{tag}' is empty or contains a comma.");
            }
        }

        // A reader refuses a snapshot with a null metadata value as damaged: one must not be written.
        if (Metadata?.FirstOrDefault(m => m.Value is null) is { Key: { } key })
        {
            throw new ArgumentException($"Metadata '{key}' has no value (null): give it one, an empty string if need be, or leave the entry out.");
        }
    }
}
