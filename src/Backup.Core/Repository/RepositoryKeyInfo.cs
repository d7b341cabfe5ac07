namespace Backup.Core.Repository;

/// <summary>A key as listed: its ID and who made it when, never its secret.</summary>
/// <param name="Id">The key object's ID.</param>
/// <param name="Created">When it was added (for a key object that cannot be read, when it was stored).</param>
/// <param name="Hostname">The host that added it.</param>
/// <param name="Username">The user that added it.</param>
/// <param name="Label">Its label.</param>
/// <param name="Algorithm">Its key derivation.</param>
/// <param name="IsCurrent">Whether this key opened the repository in this session.</param>
public sealed record RepositoryKeyInfo(string Id, DateTimeOffset Created, string? Hostname, string? Username, string? Label, string Algorithm, bool IsCurrent)
{
    /// <summary>
    /// Why the key object cannot be used (damaged, tampered with, or needing what this machine lacks); null for a
    /// usable key. Readers skip such keys; remove the ones you did not add.
    /// </summary>
    public string? Problem { get; init; }
}
