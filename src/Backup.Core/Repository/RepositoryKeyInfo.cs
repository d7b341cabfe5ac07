namespace Backup.Core.Repository;

/// <summary>A key as listed: its ID and who made it when, never its secret.</summary>
/// <param name="Id">The key object's ID.</param>
/// <param name="Created">When it was added.</param>
/// <param name="Hostname">The host that added it.</param>
/// <param name="Username">The user that added it.</param>
/// <param name="Label">Its label.</param>
/// <param name="Algorithm">Its key derivation.</param>
/// <param name="IsCurrent">Whether this key opened the repository in this session.</param>
public sealed record RepositoryKeyInfo(string Id, DateTimeOffset Created, string? Hostname, string? Username, string? Label, string Algorithm, bool IsCurrent);
