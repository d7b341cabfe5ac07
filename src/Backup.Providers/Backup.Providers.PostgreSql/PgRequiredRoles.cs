using System.Text.Json;
using System.Text.Json.Serialization;
using Backup.Core.Snapshots;
using Npgsql;

namespace Backup.Providers.PostgreSql;

/// <summary>
/// The roles a database's objects depend on, which a snapshot of it does not carry (roles belong to the server): read
/// at backup time from the catalog in the database's pinned snapshot and recorded in the snapshot's metadata, so that
/// a server can be checked for them before a restore into it has to find out.
/// </summary>
/// <remarks>
/// They are read from <c>pg_shdepend</c>, where PostgreSQL itself records every role a database's objects depend on
/// (the one DROP ROLE consults): owners, roles named in privileges (grantees and grantors), default privileges and
/// row-security policies, whatever the backup method and whether or not pg_dump runs. The catalog, not the dump, is
/// read because it is exact and the same for every method (the dump's GRANT statements would have to be parsed back
/// into role names, and driver-only backups may have no pg_dump output at all). Roles PostgreSQL pins (the bootstrap
/// superuser, predefined roles such as <c>pg_read_all_data</c>) are never recorded there: every server has them, the
/// bootstrap superuser under the name its initdb gave it.
/// </remarks>
internal sealed record PgRequiredRoles
{
    /// <summary>The metadata key prefix; the database's name follows.</summary>
    public const string MetadataKeyPrefix = PostgreSqlSource.KindName + ".roles.";

    /// <summary>
    /// Roles every restore needs: named in privileges, default privileges (<c>ALTER DEFAULT PRIVILEGES FOR ROLE …</c>,
    /// which a restore runs even without ownership) and policies.
    /// </summary>
    [JsonPropertyName("granted")]
    public List<string> Granted { get; init; } = [];

    /// <summary>Roles that own objects and nothing more: needed only by a restore that keeps ownership (<see cref="PostgreSqlRestoreOptions.NoOwner"/> false).</summary>
    [JsonPropertyName("owners")]
    public List<string> Owners { get; init; } = [];

    /// <summary>Reads the roles of the database <paramref name="connection"/> is on, in the transaction it is in.</summary>
    public static async Task<PgRequiredRoles> MeasureAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        // An owner dependency of a default-privileges entry is its FOR ROLE, which the restore names whoever owns.
        await using var command = new NpgsqlCommand("""
            SELECT r.rolname, bool_or(d.deptype <> 'o' OR d.classid = 'pg_catalog.pg_default_acl'::regclass)
            FROM pg_catalog.pg_shdepend d JOIN pg_catalog.pg_roles r ON r.oid = d.refobjid
            WHERE d.refclassid = 'pg_catalog.pg_authid'::regclass
              AND d.dbid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())
            GROUP BY r.rolname
            """, connection);
        var granted = new List<string>();
        var owners = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            (reader.GetBoolean(1) ? granted : owners).Add(reader.GetString(0));
        }

        granted.Sort(StringComparer.Ordinal);
        owners.Sort(StringComparer.Ordinal);
        return new PgRequiredRoles { Granted = granted, Owners = owners };
    }

    /// <summary>Records the roles of <paramref name="database"/> in <paramref name="metadata"/>.</summary>
    public void Write(IDictionary<string, string> metadata, string database) =>
        metadata[MetadataKeyPrefix + database] = JsonSerializer.Serialize(this, PgJson.Default.PgRequiredRoles);

    /// <summary>
    /// The roles recorded for <paramref name="database"/>; null when the snapshot records none (taken before they were
    /// recorded) or records them in a form this code cannot read: a JSON null or an empty name among them (anyone who
    /// holds the password can write a snapshot) is such a form, not a role to look for or quote in advice.
    /// </summary>
    public static PgRequiredRoles? Read(Snapshot snapshot, string database)
    {
        if (!snapshot.Metadata.TryGetValue(MetadataKeyPrefix + database, out var json))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(json, PgJson.Default.PgRequiredRoles) is { } roles && roles.Granted is not null && roles.Owners is not null
                && !roles.Granted.Concat(roles.Owners).Any(string.IsNullOrEmpty) ? roles : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
