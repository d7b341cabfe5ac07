using Backup.Core.Snapshots;
using Npgsql;

namespace Backup.Providers.PostgreSql;

/// <summary>
/// Compares the roles a snapshot's database needs (<see cref="PgRequiredRoles"/>, recorded at backup time) with those
/// a server has, so that a recovery server is found lacking before the disaster, not by the restore into it.
/// </summary>
internal static class PgRoleCheck
{
    /// <summary>
    /// Checks the server of <paramref name="options"/> (signed in to its maintenance database: the target database
    /// need not exist yet) for the roles a restore of <paramref name="database"/> from <paramref name="snapshot"/>
    /// needs. That restore is one without ownership (<see cref="PostgreSqlRestoreOptions.NoOwner"/>, as every restore
    /// through <see cref="PostgreSqlEngine"/>): roles that only own objects are not needed.
    /// </summary>
    public static async Task<DatabaseRoleCheck> CheckAsync(Snapshot snapshot, string database, PostgreSqlConnectionOptions options, CancellationToken cancellationToken)
    {
        // Signed in before anything else, even when there is nothing to look up: a check that never reached the server
        // would pass a mistyped connection string, and the operator would learn of it at the restore.
        var server = new PgServer(options);
        await using var connection = await server.OpenMaintenanceAsync(cancellationToken).ConfigureAwait(false);
        if (PgRequiredRoles.Read(snapshot, database) is not { } recorded)
        {
            return new DatabaseRoleCheck
            {
                Database = database,
                Known = false,
                Advice = $"Snapshot {snapshot.Id.ToShortString()} does not record the roles database '{database}' needs (it was taken before backups recorded them), so whether this server has them is unknown. " +
                    "The next backup records them; until then, compare the source server's roles (psql's \\du) with this server's.",
            };
        }

        var needed = recorded.Granted;
        var missing = await MissingAsync(connection, needed, cancellationToken).ConfigureAwait(false);
        return new DatabaseRoleCheck
        {
            Database = database,
            Known = true,
            Needed = needed,
            Missing = missing,
            Advice = missing.Count == 0 ? null : Advice(snapshot, database, missing),
        };
    }

    /// <summary>The roles among <paramref name="roles"/> the server of <paramref name="connection"/> lacks, in the order given.</summary>
    public static async Task<List<string>> MissingAsync(NpgsqlConnection connection, IReadOnlyCollection<string> roles, CancellationToken cancellationToken)
    {
        var present = new HashSet<string>(StringComparer.Ordinal);
        if (roles.Count > 0)
        {
            await using var command = new NpgsqlCommand("SELECT rolname FROM pg_catalog.pg_roles WHERE rolname = ANY($1)", connection) { Parameters = { new() { Value = roles.ToArray() } } };
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                present.Add(reader.GetString(0));
            }
        }

        return [.. roles.Where(role => !present.Contains(role))];
    }

    /// <summary>The missing roles quoted and joined for a message, at most 20 of them.</summary>
    public static string Names(IReadOnlyList<string> missing) =>
        string.Join(", ", missing.Take(20).Select(r => $"'{r}'")) + (missing.Count > 20 ? $" and {missing.Count - 20} more" : string.Empty);

    /// <summary>The CREATE ROLE statements for the first five missing roles.</summary>
    public static string CreateStatements(IReadOnlyList<string> missing) =>
        string.Join(" ", missing.Take(5).Select(r => $"CREATE ROLE {PgServer.QuoteIdentifier(r)};")) + (missing.Count > 5 ? " …" : string.Empty);

    /// <summary>Where the source server's roles can be found: the snapshot's own globals.sql when it has one.</summary>
    public static string Globals(Snapshot snapshot) =>
        snapshot.Metadata.GetValueOrDefault($"{PostgreSqlSource.KindName}.globals") == "globals.sql"
            ? "or run this snapshot's own globals.sql (it holds the source server's roles) on this server first"
            : "or run the globals.sql of an --all-databases snapshot of the source server on this server first (a snapshot of one database holds no roles)";

    private static string Advice(Snapshot snapshot, string database, List<string> missing) =>
        $"This server lacks {missing.Count} role(s) that database '{database}' of snapshot {snapshot.Id.ToShortString()} grants to or names in its default privileges or policies: {Names(missing)}. " +
        $"A restore into it stops at the first one. Create them before you need to restore ({CreateStatements(missing)} with the attributes and memberships they have on the source server), {Globals(snapshot)}.";
}
