using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace Backup.Providers.PostgreSql;

/// <summary>
/// A role made for one scratch restore, so that a snapshot's SQL (pg_dump's archive is SQL by nature, and a client
/// that may only add snapshots can write one) runs with the rights of that role rather than the superuser a drill
/// connects as: it may sign in and owns the scratch database, and nothing else (no CREATEDB, no CREATEROLE, no
/// membership). It bears the scratch database's name and is dropped with it (<see cref="DropAsync"/>).
/// </summary>
/// <remarks>
/// A superuser's session runs <c>COPY … TO PROGRAM</c>, so one CHECK constraint or index expression calling a
/// function of the snapshot would run a command on the database server. The role's password is random, known only to
/// this process, and sent as a SCRAM verifier (<c>CREATE ROLE … PASSWORD 'SCRAM-SHA-256$…'</c>), so the server's
/// statement log holds no password; the role expires after a week should a crash leave it behind.
/// </remarks>
internal sealed class PgScratchRole
{
    private const string Marker = "backup-sdk scratch role of the database of the same name";

    private PgScratchRole(string name, string password)
    {
        Name = name;
        Password = password;
    }

    /// <summary>The role's name, the scratch database's.</summary>
    public string Name { get; }

    /// <summary>Its password.</summary>
    public string Password { get; }

    /// <summary>Whether the role <paramref name="admin"/> signed in as is a superuser (the case a scratch role is for).</summary>
    public static async Task<bool> IsSuperuserAsync(NpgsqlConnection admin, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user", admin);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true;
    }

    /// <summary>Creates the role <paramref name="database"/> and the database <paramref name="database"/> it owns (from template0).</summary>
    public static async Task<PgScratchRole> CreateAsync(NpgsqlConnection admin, string database, CancellationToken cancellationToken)
    {
        var role = new PgScratchRole(database, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)));
        var name = PgServer.QuoteIdentifier(database);
        var expires = DateTime.UtcNow.AddDays(7).ToString("yyyy-MM-dd HH:mm:ss'+00'", CultureInfo.InvariantCulture);
        await ExecuteAsync(admin, $"CREATE ROLE {name} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD '{ScramVerifier(role.Password)}' VALID UNTIL '{expires}'", cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(admin, $"COMMENT ON ROLE {name} IS '{Marker}'", cancellationToken).ConfigureAwait(false);
        try
        {
            await ExecuteAsync(admin, $"CREATE DATABASE {name} OWNER {name} TEMPLATE template0", cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            await DropAsync(admin, database, limit.Token).ConfigureAwait(false);
            throw;
        }

        return role;
    }

    /// <summary>Whether <paramref name="database"/> has a scratch role (a role of its name this class made).</summary>
    public static async Task<bool> ExistsAsync(NpgsqlConnection admin, string database, CancellationToken cancellationToken)
    {
        await using var find = new NpgsqlCommand("SELECT count(*) FROM pg_catalog.pg_roles WHERE rolname = $1 AND pg_catalog.shobj_description(oid, 'pg_authid') = $2", admin)
        {
            Parameters = { new() { Value = database }, new() { Value = Marker } },
        };
        return (long)(await find.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))! > 0;
    }

    /// <summary>
    /// Lets the scratch role of <paramref name="database"/> sign in again, with a new password (its own SQL may have
    /// set one it knows), and ends its sessions; returns the password.
    /// </summary>
    public static async Task<string> UnlockAsync(NpgsqlConnection admin, string database, CancellationToken cancellationToken)
    {
        var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var expires = DateTime.UtcNow.AddDays(7).ToString("yyyy-MM-dd HH:mm:ss'+00'", CultureInfo.InvariantCulture);
        await ExecuteAsync(admin, $"ALTER ROLE {PgServer.QuoteIdentifier(database)} LOGIN PASSWORD '{ScramVerifier(password)}' VALID UNTIL '{expires}'", cancellationToken).ConfigureAwait(false);
        await EndSessionsAsync(admin, database, cancellationToken).ConfigureAwait(false);
        return password;
    }

    /// <summary>
    /// Keeps the scratch role of <paramref name="database"/> from signing in until <see cref="UnlockAsync"/> and ends
    /// its sessions: between the steps of a drill, a password its own SQL set must not open the server to anyone.
    /// </summary>
    public static async Task LockAsync(NpgsqlConnection admin, string database, CancellationToken cancellationToken)
    {
        await ExecuteAsync(admin, $"ALTER ROLE {PgServer.QuoteIdentifier(database)} NOLOGIN", cancellationToken).ConfigureAwait(false);
        await EndSessionsAsync(admin, database, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Makes amcheck's functions available to <paramref name="role"/> in its new database (<paramref name="connection"/>,
    /// the superuser's), before any of the snapshot's SQL runs: in a schema of the superuser's that the role may use
    /// but not change, since the integrity check runs as the role. Nothing when the server has no amcheck (the report
    /// says indexes were not checked).
    /// </summary>
    public static async Task PrepareAmcheckAsync(NpgsqlConnection connection, string role, CancellationToken cancellationToken)
    {
        await using (var available = new NpgsqlCommand("SELECT count(*) FROM pg_catalog.pg_available_extensions WHERE name = 'amcheck'", connection))
        {
            if ((long)(await available.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))! == 0)
            {
                return;
            }
        }

        var name = PgServer.QuoteIdentifier(role);
        await ExecuteAsync(connection, $"CREATE SCHEMA {AmcheckSchema}; CREATE EXTENSION amcheck SCHEMA {AmcheckSchema}; GRANT USAGE ON SCHEMA {AmcheckSchema} TO {name}; GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA {AmcheckSchema} TO {name}", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The schema amcheck is made in for a scratch role.</summary>
    private const string AmcheckSchema = "backup_sdk_amcheck";

    /// <summary>
    /// Drops the scratch role named <paramref name="database"/> if there is one (a role of that name this class did
    /// not make stays); the database must be gone first.
    /// </summary>
    public static async Task DropAsync(NpgsqlConnection admin, string database, CancellationToken cancellationToken)
    {
        if (!await ExistsAsync(admin, database, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        await EndSessionsAsync(admin, database, cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(admin, $"DROP ROLE IF EXISTS {PgServer.QuoteIdentifier(database)}", cancellationToken).ConfigureAwait(false);
    }

    private static async Task EndSessionsAsync(NpgsqlConnection admin, string role, CancellationToken cancellationToken)
    {
        await using var end = new NpgsqlCommand("SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity WHERE usename = $1", admin) { Parameters = { new() { Value = role } } };
        await end.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>PostgreSQL's stored form of a SCRAM-SHA-256 password (RFC 5802/7677, 4096 iterations, as the server makes it).</summary>
    internal static string ScramVerifier(string password)
    {
        const int Iterations = 4096;
        var salt = RandomNumberGenerator.GetBytes(16);
        var salted = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, Iterations, HashAlgorithmName.SHA256, 32);
        var storedKey = SHA256.HashData(HMACSHA256.HashData(salted, "Client Key"u8));
        var serverKey = HMACSHA256.HashData(salted, "Server Key"u8);
        return $"SCRAM-SHA-256${Iterations.ToString(CultureInfo.InvariantCulture)}:{Convert.ToBase64String(salt)}${Convert.ToBase64String(storedKey)}:{Convert.ToBase64String(serverKey)}";
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
