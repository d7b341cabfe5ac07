namespace Backup.Providers;

/// <summary>
/// Whether a server has the roles (users) that restoring one database of a snapshot needs and that the snapshot does
/// not carry: <see cref="IDatabaseEngine.CheckRolesAsync"/>. A PostgreSQL snapshot of one database holds no roles
/// (they belong to the server), so a restore into a new server stops at the first one it lacks. A MariaDB/MySQL
/// snapshot holds no accounts or grants (they live in the mysql schema): its restore succeeds, and the accounts that used
/// the database cannot; there the names are accounts (<c>'app'@'%'</c>) and roles (<c>'reporting'</c>).
/// </summary>
public sealed class DatabaseRoleCheck
{
    /// <summary>The snapshot's database checked.</summary>
    public required string Database { get; init; }

    /// <summary>
    /// Whether the snapshot records the roles its database needs. False for a snapshot taken before they were recorded
    /// (or whose record is damaged): then which roles are needed is unknown, and <see cref="Needed"/> and
    /// <see cref="Missing"/> are empty.
    /// </summary>
    public required bool Known { get; init; }

    /// <summary>The roles a restore of the database needs, in ordinal order.</summary>
    public IReadOnlyList<string> Needed { get; init; } = [];

    /// <summary>The <see cref="Needed"/> roles the server lacks, in ordinal order.</summary>
    public IReadOnlyList<string> Missing { get; init; } = [];

    /// <summary>What to do when a role is missing or the needed ones are unknown (names the roles and how to create them); null when the server has them all.</summary>
    public string? Advice { get; init; }
}
