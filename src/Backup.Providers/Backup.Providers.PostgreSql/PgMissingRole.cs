using System.Text.RegularExpressions;
using Backup.Core.Snapshots;
using Npgsql;

namespace Backup.Providers.PostgreSql;

/// <summary>
/// What to do when a restore stops at a role the server lacks. Roles belong to the server, not to a database, so a
/// snapshot of one database holds none: restoring it into a new server (the usual disaster recovery) stops at the
/// first GRANT to a role that only the old server had, with PostgreSQL's bare "role … does not exist". The advice
/// names every role the server lacks, not only that first one, so that one round of CREATE ROLE is enough.
/// </summary>
internal static partial class PgMissingRole
{
    /// <summary>
    /// The role a failure's message says does not exist (PostgreSQL's "role "NAME" does not exist", from pg_restore's
    /// stderr or the server's own error); null for any other failure.
    /// </summary>
    public static string? RoleIn(string message)
    {
        var match = MissingRole().Match(message);
        return match.Success ? match.Groups["role"].Value.Replace("\"\"", "\"", StringComparison.Ordinal) : null;
    }

    /// <summary>
    /// Every role the restore of <paramref name="database"/> needs that the server of <paramref name="admin"/> lacks:
    /// those the snapshot recorded (owners too when ownership is kept), and <paramref name="reported"/> (the one the
    /// restore stopped at) whatever the record says. Only <paramref name="reported"/> when the snapshot records no roles.
    /// </summary>
    public static async Task<IReadOnlyList<string>> MissingAsync(NpgsqlConnection admin, Snapshot snapshot, string database, string reported, bool noOwner, CancellationToken cancellationToken)
    {
        if (PgRequiredRoles.Read(snapshot, database) is not { } recorded)
        {
            return [reported];
        }

        var needed = noOwner ? recorded.Granted : [.. recorded.Granted, .. recorded.Owners];
        var missing = await PgRoleCheck.MissingAsync(admin, [.. needed.Distinct(StringComparer.Ordinal)], cancellationToken).ConfigureAwait(false);
        return [.. missing.Append(reported).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
    }

    /// <summary>
    /// The advice for a restore of <paramref name="database"/> that stopped at a missing role, naming
    /// <paramref name="missing"/> (from <see cref="MissingAsync"/>); <paramref name="complete"/> is false when only the
    /// role the restore stopped at is known (the snapshot records none, or the server could not be asked).
    /// </summary>
    public static string Advice(Snapshot snapshot, string database, IReadOnlyList<string> missing, bool complete)
    {
        var lacking = complete
            ? $"The server lacks {missing.Count} role(s) that database '{database}' of snapshot {snapshot.Id.ToShortString()} grants to or is owned by: {PgRoleCheck.Names(missing)}."
            : $"The server has no role {PgRoleCheck.Names(missing)}, which database '{database}' of snapshot {snapshot.Id.ToShortString()} grants to or is owned by; others may follow.";
        return lacking + " Roles belong to the server, and a snapshot of one database holds none. " +
            $"Create them on this server ({PgRoleCheck.CreateStatements(missing)} with the attributes and memberships they have on the source server), {PgRoleCheck.Globals(snapshot)}, then restore again. " +
            "'backup restore SNAPSHOT --to-postgres CONNECTION --check-roles' names every role a server lacks without restoring anything; " +
            "docs/databases.md, \"Recovering onto a new server, step by step\", has the whole recovery.";
    }

    [GeneratedRegex("""role "(?<role>(?:[^"]|"")+)" does not exist""", RegexOptions.CultureInvariant)]
    private static partial Regex MissingRole();
}
