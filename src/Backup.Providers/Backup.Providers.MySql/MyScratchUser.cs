using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using MySqlConnector;

namespace Backup.Providers.MySql;

/// <summary>
/// A user made for one scratch restore, so that a snapshot's SQL (a <c>Dump</c> snapshot is a SQL script the
/// <c>mariadb</c> client runs as it stands, and a client that may only add snapshots can write one) runs with the
/// rights of that user rather than those of the drill's user, who may touch every database: it holds every privilege
/// on the scratch database and nothing else. It bears the scratch database's name, at the host the server sees this
/// client as, and is dropped with the database (<see cref="DropAsync"/>).
/// </summary>
/// <remarks>
/// Its password is random and known only to this process; MariaDB gets it as the stored hash
/// (<c>IDENTIFIED BY PASSWORD '*…'</c>), so no statement log holds it. Any user may set its own password, so the
/// snapshot's SQL could give it one of its own and sign in as it from elsewhere while the restore runs: what the server
/// stores for it is read when this library sets it and compared afterwards (<see cref="PasswordUnchangedAsync"/>).
/// </remarks>
internal sealed partial class MyScratchUser
{
    private MyScratchUser(string name, string host, string password, string? stored)
    {
        Name = name;
        Host = host;
        Password = password;
        Stored = stored;
    }

    /// <summary>The user's name, the scratch database's.</summary>
    public string Name { get; }

    /// <summary>The host of its account: the one the server sees this client as.</summary>
    public string Host { get; }

    /// <summary>Its password.</summary>
    public string Password { get; }

    /// <summary>What the server stored for <see cref="Password"/> (its <c>authentication_string</c>).</summary>
    private string? Stored { get; }

    /// <summary>What a scratch user whose password the snapshot's SQL changed means, for an exception's message.</summary>
    public static string PasswordChanged(string user) =>
        $"the snapshot's SQL gave its scratch user '{user}' a password of its own, to sign in as that user from elsewhere while the test restore ran: " +
        "the snapshot was written to attack whoever restores it; treat everyone who can write to the repository as hostile";

    /// <summary>Whether the server still stores the password this library last gave the user (false once the snapshot's SQL set its own).</summary>
    public async Task<bool> PasswordUnchangedAsync(MySqlConnection admin, CancellationToken cancellationToken) =>
        await StoredPasswordAsync(admin, Name, Host, cancellationToken).ConfigureAwait(false) == Stored;

    /// <summary>Whether the user <paramref name="admin"/> signed in as holds privileges on every database (ON *.*; USAGE is none).</summary>
    public static async Task<bool> IsPrivilegedAsync(MySqlConnection admin, CancellationToken cancellationToken)
    {
        await using var command = new MySqlCommand(
            "SELECT COUNT(*) FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = CONCAT('''', SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''', SUBSTRING_INDEX(CURRENT_USER(), '@', -1), '''') AND PRIVILEGE_TYPE <> 'USAGE'",
            admin);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture) > 0;
    }

    /// <summary>Creates the user <paramref name="database"/> with every privilege on the database <paramref name="database"/> (which exists) and no other.</summary>
    public static async Task<MyScratchUser> CreateAsync(MySqlConnection admin, string database, CancellationToken cancellationToken)
    {
        var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        string host;
        await using (var who = new MySqlCommand("SELECT SUBSTRING_INDEX(USER(), '@', -1)", admin))
        {
            host = (string)(await who.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }

        var account = $"{Literal(database)}@{Literal(host)}";
        await ExecuteAsync(admin, $"CREATE USER {account} IDENTIFIED BY {await IdentifiedByAsync(admin, password, cancellationToken).ConfigureAwait(false)}", cancellationToken).ConfigureAwait(false);
        try
        {
            // A database name in GRANT is a pattern: '_' and '%' are escaped to name this database alone.
            var pattern = database.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal);
            await ExecuteAsync(admin, $"GRANT ALL PRIVILEGES ON {MyServer.QuoteIdentifier(pattern)}.* TO {account}", cancellationToken).ConfigureAwait(false);
            return new MyScratchUser(database, host, password, await StoredPasswordAsync(admin, database, host, cancellationToken).ConfigureAwait(false));
        }
        catch
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            await DropAsync(admin, database, limit.Token).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Whether <paramref name="database"/> has a scratch user, as seen by a user with privileges on every database
    /// (none other makes one); its account's host when it has.
    /// </summary>
    public static async Task<string?> HostOfAsync(MySqlConnection admin, string database, CancellationToken cancellationToken) =>
        await HostsOfAsync(admin, database, cancellationToken).ConfigureAwait(false) is [var host, ..] ? host : null;

    /// <summary>Lets the scratch user of <paramref name="database"/> (at <paramref name="host"/>) sign in again, with a new password.</summary>
    public static async Task<MyScratchUser> UnlockAsync(MySqlConnection admin, string database, string host, CancellationToken cancellationToken)
    {
        var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        await ExecuteAsync(admin, $"ALTER USER {Literal(database)}@{Literal(host)} IDENTIFIED BY {await IdentifiedByAsync(admin, password, cancellationToken).ConfigureAwait(false)} ACCOUNT UNLOCK", cancellationToken).ConfigureAwait(false);
        return new MyScratchUser(database, host, password, await StoredPasswordAsync(admin, database, host, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// How <paramref name="password"/> is given in IDENTIFIED BY: to MariaDB as its stored hash, so that no statement
    /// log holds it (MySQL masks the password in its logs).
    /// </summary>
    private static async Task<string> IdentifiedByAsync(MySqlConnection admin, string password, CancellationToken cancellationToken) =>
        await IsMariaDbAsync(admin, cancellationToken).ConfigureAwait(false) ? $"PASSWORD '{NativeHash(password)}'" : $"'{password}'";

    /// <summary>What the server stores for the account's password (MySQL's is salted, so it is compared with what was read before, never computed).</summary>
    private static async Task<string?> StoredPasswordAsync(MySqlConnection admin, string name, string host, CancellationToken cancellationToken)
    {
        await using var read = new MySqlCommand("SELECT HEX(authentication_string) FROM mysql.user WHERE User = @name AND Host = @host", admin);
        read.Parameters.AddWithValue("@name", name);
        read.Parameters.AddWithValue("@host", host);
        return Convert.ToString(await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Keeps the scratch user of <paramref name="database"/> from signing in until <see cref="UnlockAsync"/>, and stops
    /// what runs as it: the event scheduler runs a user's events whatever its account's lock, and a running event can
    /// enable itself again, so the schema's events are disabled and the user's threads ended until none is left.
    /// </summary>
    /// <exception cref="InvalidOperationException">The snapshot's events would not stop.</exception>
    public static async Task LockAsync(MySqlConnection admin, string database, CancellationToken cancellationToken)
    {
        if (await HostOfAsync(admin, database, cancellationToken).ConfigureAwait(false) is not { } host)
        {
            return;
        }

        await ExecuteAsync(admin, $"ALTER USER {Literal(database)}@{Literal(host)} ACCOUNT LOCK", cancellationToken).ConfigureAwait(false);
        if (!await QuiesceAsync(admin, database, cancellationToken).ConfigureAwait(false))
        {
            throw new NotComparableException($"the events of the scratch database '{database}' kept starting again as its scratch user: the snapshot was written to attack whoever restores it; treat everyone who can write to the repository as hostile");
        }
    }

    /// <summary>
    /// Drops the scratch database <paramref name="database"/> and, when it has one, its scratch user: locked and
    /// stopped first (<see cref="LockAsync"/>), then the database, then every account of that name; checked afterwards,
    /// since a thread of the user's still running could make the database again.
    /// </summary>
    /// <exception cref="InvalidOperationException">Something of the snapshot's outlived the drop.</exception>
    public static async Task DropAsync(MySqlConnection admin, string database, CancellationToken cancellationToken)
    {
        var hosts = await HostsOfAsync(admin, database, cancellationToken).ConfigureAwait(false);
        if (hosts.Count > 0)
        {
            await LockAsync(admin, database, cancellationToken).ConfigureAwait(false);
        }

        await ExecuteAsync(admin, $"DROP DATABASE IF EXISTS {MyServer.QuoteIdentifier(database)}", cancellationToken).ConfigureAwait(false);
        foreach (var host in hosts)
        {
            await ExecuteAsync(admin, $"DROP USER IF EXISTS {Literal(database)}@{Literal(host)}", cancellationToken).ConfigureAwait(false);
        }

        if (hosts.Count == 0)
        {
            return;
        }

        // A thread of the user's that was running keeps its rights on its database after DROP USER.
        var stopped = await QuiesceAsync(admin, database, cancellationToken).ConfigureAwait(false);
        await using var left = new MySqlCommand("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = @db", admin);
        left.Parameters.AddWithValue("@db", database);
        if (Convert.ToInt64(await left.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture) > 0)
        {
            await ExecuteAsync(admin, $"DROP DATABASE IF EXISTS {MyServer.QuoteIdentifier(database)}", cancellationToken).ConfigureAwait(false);
            throw new InvalidOperationException($"the snapshot's code made the scratch database '{database}' again after it was dropped (dropped again){(stopped ? string.Empty : ", and its threads would not stop")}: the snapshot was written to attack whoever restores it; treat everyone who can write to the repository as hostile");
        }
    }

    /// <summary>Disables the events of <paramref name="database"/> and ends the threads of its scratch user until none is left; false when they keep coming.</summary>
    private static async Task<bool> QuiesceAsync(MySqlConnection admin, string database, CancellationToken cancellationToken)
    {
        for (var round = 0; round < 50; round++)
        {
            var events = await ListAsync(admin, "SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = @name AND STATUS = 'ENABLED'", database, cancellationToken).ConfigureAwait(false);
            foreach (var name in events)
            {
                await IgnoringGoneAsync(admin, $"ALTER EVENT {MyServer.QuoteIdentifier(database)}.{MyServer.QuoteIdentifier(name)} DISABLE", cancellationToken).ConfigureAwait(false);
            }

            var threads = await ListAsync(admin, "SELECT ID FROM information_schema.PROCESSLIST WHERE USER = @name", database, cancellationToken).ConfigureAwait(false);
            foreach (var id in threads)
            {
                await IgnoringGoneAsync(admin, $"KILL CONNECTION {id}", cancellationToken).ConfigureAwait(false);
            }

            if (events.Count == 0 && threads.Count == 0)
            {
                return true;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken).ConfigureAwait(false);
        }

        return false;
    }

    private static async Task<List<string>> ListAsync(MySqlConnection admin, string sql, string name, CancellationToken cancellationToken)
    {
        var values = new List<string>();
        await using var list = new MySqlCommand(sql, admin);
        list.Parameters.AddWithValue("@name", name);
        await using var reader = await list.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            values.Add(Convert.ToString(reader.GetValue(0), CultureInfo.InvariantCulture)!);
        }

        return values;
    }

    private static async Task IgnoringGoneAsync(MySqlConnection admin, string sql, CancellationToken cancellationToken)
    {
        try
        {
            await ExecuteAsync(admin, sql, cancellationToken).ConfigureAwait(false);
        }
        catch (MySqlException ex) when (ex.ErrorCode is MySqlErrorCode.NoSuchThread or MySqlErrorCode.EventDoesNotExist)
        {
            // Gone meanwhile.
        }
    }

    /// <summary>The hosts of the accounts named <paramref name="database"/>, when that is a scratch database's name and this user may make scratch users.</summary>
    private static async Task<List<string>> HostsOfAsync(MySqlConnection admin, string database, CancellationToken cancellationToken) =>
        ScratchName().IsMatch(database) && await IsPrivilegedAsync(admin, cancellationToken).ConfigureAwait(false)
            ? await ListAsync(admin, "SELECT Host FROM mysql.user WHERE User = @name", database, cancellationToken).ConfigureAwait(false)
            : [];

    /// <summary>Whether <paramref name="database"/> is named as test restores and drills name scratch databases (<c>prefix_</c> and 12 hex digits), the only names a scratch user is made for.</summary>
    public static bool IsScratchName(string database) => ScratchName().IsMatch(database);

    /// <summary>MySQL's stored form of a mysql_native_password: '*' and the upper-case hex of SHA1(SHA1(password)).</summary>
    /// <remarks>SHA-1 is the protocol's, over a random 256-bit password used for one restore: nothing to guess.</remarks>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350:Do Not Use Weak Cryptographic Algorithms", Justification = "mysql_native_password's stored form, of a random one-time password")]
    internal static string NativeHash(string password) => "*" + Convert.ToHexString(SHA1.HashData(SHA1.HashData(Encoding.UTF8.GetBytes(password))));

    private static async Task<bool> IsMariaDbAsync(MySqlConnection connection, CancellationToken cancellationToken)
    {
        await using var version = new MySqlCommand("SELECT VERSION()", connection);
        return ((string)(await version.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!).Contains("MariaDB", StringComparison.OrdinalIgnoreCase);
    }

    private static string Literal(string value) => "'" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "''", StringComparison.Ordinal) + "'";

    private static async Task ExecuteAsync(MySqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new MySqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    [GeneratedRegex("^[A-Za-z0-9_]+_[0-9a-f]{12}$")]
    private static partial Regex ScratchName();
}
