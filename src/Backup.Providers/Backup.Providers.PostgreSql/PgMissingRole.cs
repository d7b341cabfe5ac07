using System.Text.RegularExpressions;

namespace Backup.Providers.PostgreSql;

/// <summary>
/// What to do when a restore stops at a role the server lacks. Roles belong to the server, not to a database, so a
/// snapshot of one database holds none: restoring it into a new server (the usual disaster recovery) stops at the
/// first GRANT to a role that only the old server had, with PostgreSQL's bare "role … does not exist".
/// </summary>
internal static partial class PgMissingRole
{
    /// <summary>
    /// The advice for a failure whose message carries PostgreSQL's "role "NAME" does not exist" (from pg_restore's
    /// stderr or the server's own error), naming the role; null for any other failure.
    /// </summary>
    public static string? Advice(string message)
    {
        var match = MissingRole().Match(message);
        if (!match.Success)
        {
            return null;
        }

        var role = match.Groups["role"].Value.Replace("\"\"", "\"", StringComparison.Ordinal);
        return $"The server has no role '{role}', which the snapshot's database grants to or is owned by: roles belong to the server, and a snapshot of one database holds none. " +
            $"Create the roles it needs on this server (CREATE ROLE {PgServer.QuoteIdentifier(role)}; others may follow), or restore them from an all-databases snapshot's globals.sql, then restore again.";
    }

    [GeneratedRegex("""role "(?<role>(?:[^"]|"")+)" does not exist""", RegexOptions.CultureInvariant)]
    private static partial Regex MissingRole();
}
