using Backup.Core.Snapshots;
using MySqlConnector;

namespace Backup.Providers.MySql;

/// <summary>
/// Compares the accounts a snapshot's database needs (<see cref="MyRequiredAccounts"/>, recorded at backup time) with
/// those a server has, so that a recovery server is found lacking before the disaster: a restore into it succeeds (a
/// dump holds no accounts and no grants), and the application then cannot sign in, or its views fail, at 3 a.m.
/// </summary>
/// <remarks>
/// An account is its user and its host pattern together, so <c>'app'@'%'</c> is looked for as such: a server with only
/// <c>'app'@'10.0.%'</c> lacks it (the grants the snapshot's server gave <c>'app'@'%'</c> do not apply to another
/// account), though the advice names the hosts that user does have there, since a new network may call for another pattern.
/// </remarks>
internal static class MyAccountCheck
{
    /// <summary>
    /// Checks the server of <paramref name="options"/> (the target database need not exist) for the accounts a restore
    /// of <paramref name="database"/> from <paramref name="snapshot"/> needs: reads <c>mysql.user</c> and nothing else.
    /// </summary>
    /// <exception cref="InvalidOperationException">The user signed in as may not read <c>mysql.user</c>.</exception>
    public static async Task<DatabaseRoleCheck> CheckAsync(Snapshot snapshot, string database, MySqlConnectionOptions options, CancellationToken cancellationToken)
    {
        // Signed in before anything else, even when there is nothing to look up: a check that never reached the server
        // would pass a mistyped connection string, and the operator would learn of it at the restore.
        var server = new MyServer(options);
        await using var connection = await server.OpenCheckedAsync(null, cancellationToken).ConfigureAwait(false);
        if (MyRequiredAccounts.Read(snapshot, database) is not { } recorded)
        {
            return new DatabaseRoleCheck { Database = database, Known = false, Advice = UnknownAdvice(snapshot, database) };
        }

        var needed = recorded.Accounts.Union(recorded.Definers).Distinct().OrderBy(a => a.ToString(), StringComparer.Ordinal).ToList();
        List<(string User, string Host)> existing = needed.Count == 0 ? [] : await AccountsAsync(connection, server.Endpoint, cancellationToken).ConfigureAwait(false);
        var missing = needed.Where(a => !existing.Any(e => a.Matches(e.User, e.Host))).ToList();
        return new DatabaseRoleCheck
        {
            Database = database,
            Known = true,
            Needed = [.. needed.Select(a => a.ToString())],
            Missing = [.. missing.Select(a => a.ToString())],
            Advice = missing.Count == 0 ? null : Advice(snapshot, database, missing, recorded.Definers, existing),
        };
    }

    /// <summary>Every account and role the server has; no parameter at all, so nothing from the snapshot reaches the server.</summary>
    private static async Task<List<(string User, string Host)>> AccountsAsync(MySqlConnection connection, string endpoint, CancellationToken cancellationToken)
    {
        await using var command = new MySqlCommand("SELECT User, Host FROM mysql.user", connection);
        try
        {
            var accounts = new List<(string, string)>();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                accounts.Add((reader.GetString(0), reader.GetString(1)));
            }

            return accounts;
        }
        catch (MySqlException ex) when (ex.Number is 1142 or 1143 or 1044) // SELECT denied on mysql.user
        {
            throw new InvalidOperationException(
                $"The user this check signed in to {endpoint} as may not read the server's accounts ({ex.Message}); check as one that may (SELECT on mysql.user, as an administrator has).", ex);
        }
    }

    private static string UnknownAdvice(Snapshot snapshot, string database) =>
        snapshot.Metadata.ContainsKey(MyRequiredAccounts.UnreadableKey)
            ? $"Snapshot {snapshot.Id.ToShortString()} does not record the accounts database '{database}' needs: the backup user could not read the grant tables, so whether this server has them is unknown. " +
              "Grant the backup user SELECT on mysql.db, mysql.tables_priv, mysql.columns_priv, mysql.procs_priv and mysql.roles_mapping (MariaDB) or mysql.role_edges (MySQL), and the next backup records them; " +
              "until then, compare SHOW GRANTS for the source server's accounts with this server's."
            : $"Snapshot {snapshot.Id.ToShortString()} does not record the accounts database '{database}' needs (it was taken before backups recorded them, or its record cannot be read), so whether this server has them is unknown. " +
              "The next backup records them; until then, compare the source server's accounts (SELECT User, Host FROM mysql.user; SHOW GRANTS FOR each) with this server's.";

    private static string Advice(Snapshot snapshot, string database, List<MyAccount> missing, List<MyAccount> definers, List<(string User, string Host)> existing)
    {
        var names = string.Join(", ", missing.Take(20)) + (missing.Count > 20 ? $" and {missing.Count - 20} more" : string.Empty);
        var otherHosts = missing.Where(a => !a.IsRole)
            .Select(a => (Account: a, Hosts: existing.Where(e => string.Equals(e.User, a.User, StringComparison.Ordinal) && e.Host.Length > 0).Select(e => new MyAccount { User = e.User, Host = e.Host }.ToString()).ToList()))
            .Where(x => x.Hosts.Count > 0)
            .Take(5)
            .Select(x => $"{x.Account} (it has {string.Join(", ", x.Hosts.Take(5))}: another account, which the grants to {x.Account} do not reach)")
            .ToList();
        var definerNote = missing.Any(definers.Contains)
            ? " Its views, routines, triggers or events defined by " + string.Join(", ", missing.Where(definers.Contains).Take(5)) + " fail when used until they exist."
            : string.Empty;
        var example = missing.First();
        var create = example.IsRole
            ? $"CREATE ROLE {example};"
            : $"CREATE USER {example} IDENTIFIED BY '…';";
        return $"This server lacks {missing.Count} account(s) that database '{database}' of snapshot {snapshot.Id.ToShortString()} grants privileges to or is defined by: {names}. " +
            "A restore into it succeeds (a MariaDB/MySQL dump holds no accounts and no grants), but whoever signs in as them cannot use the database." + definerNote +
            (otherHosts.Count > 0 ? $" Not the same account: {string.Join("; ", otherHosts)}." : string.Empty) +
            $" Create them before you need to restore, with their passwords (SHOW CREATE USER on the source server prints each with its password hash; for example {create}), " +
            "then run the grants SHOW GRANTS FOR each prints on the source server (roles included, and SET DEFAULT ROLE) on this server.";
    }
}
