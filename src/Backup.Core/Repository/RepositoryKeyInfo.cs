namespace Backup.Core.Repository;

/// <summary>A key as listed: its ID and who made it when, never its secret.</summary>
public sealed record RepositoryKeyInfo
{
    /// <summary>The key object's ID.</summary>
    public required string Id { get; init; }

    /// <summary>When it was added (for a key object that cannot be read, when it was stored).</summary>
    public required DateTimeOffset Created { get; init; }

    /// <summary>The host that added it.</summary>
    public required string? Hostname { get; init; }

    /// <summary>The user that added it.</summary>
    public required string? Username { get; init; }

    /// <summary>Its label.</summary>
    public required string? Label { get; init; }

    /// <summary>Its key derivation.</summary>
    public required string Algorithm { get; init; }

    /// <summary>Whether this key opened the repository in this session.</summary>
    public required bool IsCurrent { get; init; }

    /// <summary>
    /// Why the key object cannot be used (damaged, tampered with, or needing what this machine lacks); null for a
    /// usable key. Readers skip such keys; remove the ones you did not add.
    /// </summary>
    public string? Problem { get; init; }
}
