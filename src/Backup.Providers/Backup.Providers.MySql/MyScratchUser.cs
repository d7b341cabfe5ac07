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
/// (<c>IDENTIFIED BY PASSWORD '*…'</c>), so no statement log holds it.
/// </remarks>
internal sealed partial class MyScratchUser
{
    private MyScratchUser(string name, string password)
    {
        Name = name;
        Password = password;
    }

    /// <summary>The user's name, the scratch database's.</summary>
    public string Name { get; }

    /// <summary>Its password.</summary>
    public string Password { get; }

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
        var user = new MyScratchUser(database, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)));
        string host;
        await using (var who = new MySqlCommand("SELECT SUBSTRING_INDEX(USER(), '@', -1)", admin))
        {
            host = (string)(await who.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }

        var account = $"{Literal(database)}@{Literal(host)}";
        var password = await IsMariaDbAsync(admin, cancellationToken).ConfigureAwait(false) ? $"PASSWORD '{NativeHash(user.Password)}'" : $"'{user.Password}'";
        await ExecuteAsync(admin, $"CREATE USER {account} IDENTIFIED BY {password}", cancellationToken).ConfigureAwait(false);
        try
        {
            // A database name in GRANT is a pattern: '_' and '%' are escaped to name this database alone.
            var pattern = database.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal);
            await ExecuteAsync(admin, $"GRANT ALL PRIVILEGES ON {MyServer.QuoteIdentifier(pattern)}.* TO {account}", cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            await DropAsync(admin, database, limit.Token).ConfigureAwait(false);
            throw;
        }

        return user;
    }

    /// <summary>
    /// Whether <paramref name="database"/> has a scratch user, as seen by a user with privileges on every database
    /// (none other makes one); its account's host when it has.
    /// </summary>
    public static async Task<string?> HostOfAsync(MySqlConnection admin, string database, CancellationToken cancellationToken)
    {
        if (!ScratchName().IsMatch(database) || !await IsPrivilegedAsync(admin, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        await using var find = new MySqlCommand("SELECT Host FROM mysql.user WHERE User = @user LIMIT 1", admin);
        find.Parameters.AddWithValue("@user", database);
        return await find.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
    }

    /// <summary>Lets the scratch user of <paramref name="database"/> (at <paramref name="host"/>) sign in again, with a new password, which is returned.</summary>
    public static async Task<string> UnlockAsync(MySqlConnection admin, string database, string host, CancellationToken cancellationToken)
    {
        var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var account = $"{Literal(database)}@{Literal(host)}";
        var mariaDb = await IsMariaDbAsync(admin, cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(admin, $"ALTER USER {account} IDENTIFIED BY {(mariaDb ? $"PASSWORD '{NativeHash(password)}'" : $"'{password}'")} ACCOUNT UNLOCK", cancellationToken).ConfigureAwait(false);
        return password;
    }

    /// <summary>
    /// Keeps the scratch user of <paramref name="database"/> from signing in until <see cref="UnlockAsync"/> and ends
    /// its connections: between the steps of a drill nothing may sign in as it with a password its SQL set.
    /// </summary>
    public static async Task LockAsync(MySqlConnection admin, string database, CancellationToken cancellationToken)
    {
        if (await HostOfAsync(admin, database, cancellationToken).ConfigureAwait(false) is not { } host)
        {
            return;
        }

        await ExecuteAsync(admin, $"ALTER USER {Literal(database)}@{Literal(host)} ACCOUNT LOCK", cancellationToken).ConfigureAwait(false);
        var sessions = new List<long>();
        await using (var list = new MySqlCommand("SELECT ID FROM information_schema.PROCESSLIST WHERE USER = @user", admin))
        {
            list.Parameters.AddWithValue("@user", database);
            await using var reader = await list.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                sessions.Add(Convert.ToInt64(reader.GetValue(0), CultureInfo.InvariantCulture));
            }
        }

        foreach (var id in sessions)
        {
            try
            {
                await ExecuteAsync(admin, $"KILL CONNECTION {id.ToString(CultureInfo.InvariantCulture)}", cancellationToken).ConfigureAwait(false);
            }
            catch (MySqlException ex) when (ex.ErrorCode == MySqlErrorCode.NoSuchThread)
            {
                // Gone meanwhile.
            }
        }
    }

    /// <summary>
    /// Drops every account named <paramref name="database"/> when that is a scratch database's name
    /// (<c>prefix_</c> and 12 hex digits, as test restores and drills make them), after the database is gone. A user
    /// without privileges on every database made none (and may not read the list of users).
    /// </summary>
    public static async Task DropAsync(MySqlConnection admin, string database, CancellationToken cancellationToken)
    {
        if (!ScratchName().IsMatch(database) || !await IsPrivilegedAsync(admin, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        var hosts = new List<string>();
        await using (var list = new MySqlCommand("SELECT Host FROM mysql.user WHERE User = @user", admin))
        {
            list.Parameters.AddWithValue("@user", database);
            await using var reader = await list.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                hosts.Add(reader.GetString(0));
            }
        }

        foreach (var host in hosts)
        {
            await ExecuteAsync(admin, $"DROP USER IF EXISTS {Literal(database)}@{Literal(host)}", cancellationToken).ConfigureAwait(false);
        }
    }

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
