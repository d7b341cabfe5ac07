using System.Text.Json;
using System.Text.Json.Serialization;
using Backup.Core.Snapshots;
using Microsoft.Extensions.Logging;
using MySqlConnector;

namespace Backup.Providers.MySql;

/// <summary>
/// The accounts a database needs and its dump does not carry: accounts and grants live in the server's <c>mysql</c>
/// schema, so a database restored into a new server comes back without the accounts that could use it. Read at backup
/// time from the grant tables and recorded in the snapshot's metadata (<c>mysql.accounts.&lt;db&gt;</c>, beside
/// PostgreSQL's <c>postgresql.roles.&lt;db&gt;</c>), so that a server can be checked for them before the disaster.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="Accounts"/> holds the accounts (and MariaDB roles) with privileges on the database or on something in it:
/// <c>mysql.db</c> (whose <c>Db</c> is a pattern: <c>GRANT … ON `app\_%`.*</c> counts for <c>app_1</c>),
/// <c>mysql.tables_priv</c>, <c>mysql.columns_priv</c> and <c>mysql.procs_priv</c>; and the accounts those roles are
/// granted to (an application signs in as <c>'app'@'%'</c> and reaches the database through its role). The grant tables
/// are read, not information_schema's <c>SCHEMA_PRIVILEGES</c> and the like: those show a user without access to the
/// <c>mysql</c> schema only its own grants, so a partial list would pass for a whole one. Anonymous accounts
/// (<c>''@'…'</c>) and accounts with only global privileges (<c>ON *.*</c>: administrators, the backup user) are left out:
/// they are the server's, not the database's. <see cref="Definers"/> holds the definers of the database's views,
/// routines, triggers and events, which run as them and fail on a server that lacks them.
/// </para>
/// <para>
/// The grant tables are not in the dump's transaction (MariaDB keeps them in Aria, not InnoDB), so they are read when the
/// dump starts rather than in its snapshot: grants change rarely, and at worst a grant made during the dump is recorded.
/// </para>
/// </remarks>
internal sealed record MyRequiredAccounts
{
    /// <summary>The metadata key prefix; the database's name follows.</summary>
    public const string MetadataKeyPrefix = MySqlSource.KindName + ".accounts.";

    /// <summary>
    /// The metadata key present when the backup user could not read the grant tables, so the accounts are unknown (its
    /// value is the server's refusal, naming the table). Without it, a snapshot with no <see cref="MetadataKeyPrefix"/> keys is older.
    /// </summary>
    public const string UnreadableKey = MySqlSource.KindName + ".accounts_unreadable";

    /// <summary>The longest user or host name accepted from a snapshot (the servers allow 80 and 255 characters).</summary>
    private const int MaxNameLength = 255;

    /// <summary>Accounts and roles with privileges on the database or its objects, and accounts granted those roles; ordinal order.</summary>
    [JsonPropertyName("accounts")]
    public List<MyAccount> Accounts { get; init; } = [];

    /// <summary>Definers of the database's views, routines, triggers and events; ordinal order.</summary>
    [JsonPropertyName("definers")]
    public List<MyAccount> Definers { get; init; } = [];

    /// <summary>
    /// Records the accounts each of <paramref name="databases"/> needs into <paramref name="facts"/>. When the user the
    /// connection signed in as may not read the grant tables, records that instead (<see cref="UnreadableKey"/>) and
    /// logs it once: the backup goes on, and a check of such a snapshot says the accounts are unknown.
    /// </summary>
    public static async Task RecordAsync(MySqlConnection connection, IReadOnlyList<string> databases, Dictionary<string, string> facts, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            var mariaDb = connection.ServerVersion.Contains("MariaDB", StringComparison.OrdinalIgnoreCase);
            var grantees = await RoleGranteesAsync(connection, mariaDb, cancellationToken).ConfigureAwait(false);
            foreach (var database in databases)
            {
                var holders = await HoldersAsync(connection, database, cancellationToken).ConfigureAwait(false);
                var definers = await DefinersAsync(connection, database, cancellationToken).ConfigureAwait(false);
                new MyRequiredAccounts { Accounts = Sorted(WithGrantees(holders, grantees)), Definers = Sorted(definers) }.Write(facts, database);
            }
        }
        catch (MySqlException ex) when (ex.Number is 1142 or 1143 or 1044 or 1045 or 1227) // SELECT denied on a grant table (or the whole mysql schema)
        {
            foreach (var key in facts.Keys.Where(k => k.StartsWith(MetadataKeyPrefix, StringComparison.Ordinal)).ToList())
            {
                facts.Remove(key);
            }

            // The server's message names the table refused and the backup user, nothing secret.
            facts[UnreadableKey] = ex.Message;
            Log.GrantTablesUnreadable(logger, ex.Message);
        }
    }

    /// <summary>Records these accounts for <paramref name="database"/> in <paramref name="metadata"/>.</summary>
    public void Write(IDictionary<string, string> metadata, string database) =>
        metadata[MetadataKeyPrefix + database] = JsonSerializer.Serialize(this, MyJson.Default.MyRequiredAccounts);

    /// <summary>
    /// The accounts recorded for <paramref name="database"/>; null when the snapshot records none (taken before they were
    /// recorded, or by a user who could not read the grant tables: <see cref="UnreadableKey"/>) or records them in a form this code cannot read:
    /// anyone who holds the password can write a snapshot, so a null, an empty user, a name too long for any server or one
    /// with a control character in it is such a form, not an account to look for or quote in advice.
    /// </summary>
    public static MyRequiredAccounts? Read(Snapshot snapshot, string database)
    {
        if (!snapshot.Metadata.TryGetValue(MetadataKeyPrefix + database, out var json))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(json, MyJson.Default.MyRequiredAccounts) is { Accounts: not null, Definers: not null } recorded
                && recorded.Accounts.Concat(recorded.Definers).All(IsReadable) ? recorded : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static bool IsReadable(MyAccount? account) =>
        account is { User: { Length: > 0 and <= MaxNameLength } user, Host: { Length: <= MaxNameLength } host } && !user.Any(char.IsControl) && !host.Any(char.IsControl);

    /// <summary>Who holds privileges on <paramref name="database"/> or anything in it; <c>mysql.db</c>'s Db is a LIKE pattern, as the server matches it.</summary>
    private static async Task<List<MyAccount>> HoldersAsync(MySqlConnection connection, string database, CancellationToken cancellationToken)
    {
        await using var command = new MySqlCommand("""
            SELECT User, Host FROM mysql.db WHERE @db LIKE Db AND User <> ''
            UNION SELECT User, Host FROM mysql.tables_priv WHERE Db = @db AND User <> ''
            UNION SELECT User, Host FROM mysql.columns_priv WHERE Db = @db AND User <> ''
            UNION SELECT User, Host FROM mysql.procs_priv WHERE Db = @db AND User <> ''
            """, connection);
        command.Parameters.AddWithValue("@db", database);
        return await ReadAccountsAsync(command, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<List<MyAccount>> DefinersAsync(MySqlConnection connection, string database, CancellationToken cancellationToken)
    {
        await using var command = new MySqlCommand("""
            SELECT DEFINER FROM information_schema.VIEWS WHERE TABLE_SCHEMA = @db
            UNION SELECT DEFINER FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = @db
            UNION SELECT DEFINER FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = @db
            UNION SELECT DEFINER FROM information_schema.EVENTS WHERE EVENT_SCHEMA = @db
            """, connection);
        command.Parameters.AddWithValue("@db", database);
        var definers = new List<MyAccount>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!reader.IsDBNull(0) && MyAccount.FromDefiner(reader.GetString(0)) is { } definer)
            {
                definers.Add(definer);
            }
        }

        return definers;
    }

    /// <summary>
    /// Which accounts (and roles) each role is granted to. MariaDB: <c>mysql.roles_mapping</c>, leaving out the grant
    /// to the role's creator WITH ADMIN OPTION (every role an administrator creates is granted to it so). MySQL 8:
    /// <c>mysql.role_edges</c>, its roles being accounts; a server without it (MySQL 5.7) has no roles.
    /// </summary>
    private static async Task<ILookup<MyAccount, MyAccount>> RoleGranteesAsync(MySqlConnection connection, bool mariaDb, CancellationToken cancellationToken)
    {
        var sql = mariaDb
            ? "SELECT Role, '', User, Host FROM mysql.roles_mapping WHERE Admin_option <> 'Y'"
            : "SELECT FROM_USER, FROM_HOST, TO_USER, TO_HOST FROM mysql.role_edges";
        var edges = new List<(MyAccount Role, MyAccount Grantee)>();
        try
        {
            await using var command = new MySqlCommand(sql, connection);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                edges.Add((new MyAccount { User = reader.GetString(0), Host = reader.GetString(1) }, new MyAccount { User = reader.GetString(2), Host = reader.GetString(3) }));
            }
        }
        catch (MySqlException ex) when (!mariaDb && ex.ErrorCode == MySqlErrorCode.NoSuchTable)
        {
        }

        return edges.Where(e => e.Grantee.User.Length > 0).ToLookup(e => e.Role, e => e.Grantee);
    }

    /// <summary>The holders and, through any depth of roles granted to roles, the accounts granted the roles among them.</summary>
    private static HashSet<MyAccount> WithGrantees(IEnumerable<MyAccount> holders, ILookup<MyAccount, MyAccount> grantees)
    {
        var all = new HashSet<MyAccount>(holders);
        var pending = new Queue<MyAccount>(all);
        while (pending.TryDequeue(out var account))
        {
            foreach (var grantee in grantees[account])
            {
                if (all.Add(grantee))
                {
                    pending.Enqueue(grantee);
                }
            }
        }

        return all;
    }

    private static async Task<List<MyAccount>> ReadAccountsAsync(MySqlCommand command, CancellationToken cancellationToken)
    {
        var accounts = new List<MyAccount>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            accounts.Add(new MyAccount { User = reader.GetString(0), Host = reader.GetString(1) });
        }

        return accounts;
    }

    private static List<MyAccount> Sorted(IEnumerable<MyAccount> accounts) =>
        [.. accounts.Distinct().OrderBy(a => a.User, StringComparer.Ordinal).ThenBy(a => a.Host, StringComparer.Ordinal)];
}
