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
        string host, version;
        await using (var who = new MySqlCommand("SELECT SUBSTRING_INDEX(USER(), '@', -1), VERSION()", admin))
        await using (var reader = await who.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            (host, version) = (reader.GetString(0), reader.GetString(1));
        }

        var account = $"{Literal(database)}@{Literal(host)}";
        var password = version.Contains("MariaDB", StringComparison.OrdinalIgnoreCase) ? $"PASSWORD '{NativeHash(user.Password)}'" : $"'{user.Password}'";
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

    private static string Literal(string value) => "'" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "''", StringComparison.Ordinal) + "'";

    private static async Task ExecuteAsync(MySqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new MySqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    [GeneratedRegex("^[A-Za-z0-9_]+_[0-9a-f]{12}$")]
    private static partial Regex ScratchName();
}
