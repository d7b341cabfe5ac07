using System.Text.Json.Serialization;
using Backup.Core.Repository;

namespace Backup.Core.Snapshots;

/// <summary>What was backed up, from where, when, at which level, and the root of its tree.</summary>
public sealed record Snapshot
{
    /// <summary>The snapshot's ID: the SHA-256 of its stored object. Set when read or written.</summary>
    [JsonIgnore]
    public BlobId Id { get; init; }

    /// <summary>When the backup started, with the local offset of the machine that made it.</summary>
    public DateTimeOffset Time { get; init; }

    /// <summary>The host that made it.</summary>
    public required string Hostname { get; init; }

    /// <summary>The user that made it.</summary>
    public string? Username { get; init; }

    /// <summary>Tags for grouping and retention.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>The kind of source ("files", "stream", "postgresql", …).</summary>
    public required string SourceKind { get; init; }

    /// <summary>The paths or names the source covered.</summary>
    public IReadOnlyList<string> Paths { get; init; } = [];

    /// <summary>The backup level.</summary>
    public BackupLevel Level { get; init; }

    /// <summary>The snapshot whose metadata was trusted (Incremental and Differential), if any.</summary>
    public BlobId? Parent { get; init; }

    /// <summary>The root tree blob.</summary>
    public BlobId Tree { get; init; }

    /// <summary>Whether some entries could not be read (see <see cref="Problems"/>); the snapshot holds all the rest.</summary>
    public bool Partial { get; init; }

    /// <summary>What could not be read, by path and reason.</summary>
    public IReadOnlyList<string> Problems { get; init; } = [];

    /// <summary>Statistics of the run.</summary>
    public SnapshotStatistics Statistics { get; init; } = new();

    /// <summary>Source-specific facts (server version, table checksums, …).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    /// <summary>Never removed by retention.</summary>
    public bool Pinned { get; init; }
}
