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

    private PgScratchRole(string name, string password, string verifier)
    {
        Name = name;
        Password = password;
        Verifier = verifier;
    }

    /// <summary>The role's name, the scratch database's.</summary>
    public string Name { get; }

    /// <summary>Its password.</summary>
    public string Password { get; }

    /// <summary>The password as the server stores it: a different one means the snapshot's SQL set its own (<see cref="LockAsync"/>).</summary>
    public string Verifier { get; }

    /// <summary>Whether the role <paramref name="admin"/> signed in as is a superuser (the case a scratch role is for).</summary>
    public static async Task<bool> IsSuperuserAsync(NpgsqlConnection admin, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user", admin);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true;
    }

    /// <summary>Creates the role <paramref name="database"/> and the database <paramref name="database"/> it owns (from template0).</summary>
    public static async Task<PgScratchRole> CreateAsync(NpgsqlConnection admin, string database, CancellationToken cancellationToken)
    {
        var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var role = new PgScratchRole(database, password, ScramVerifier(password));
        var name = PgServer.QuoteIdentifier(database);
        await ExecuteAsync(admin, $"CREATE ROLE {name} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD '{role.Verifier}' VALID UNTIL '{Expiry()}'", cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(admin, $"COMMENT ON ROLE {name} IS '{Marker}'", cancellationToken).ConfigureAwait(false);
        try
        {
            await ExecuteAsync(admin, $"CREATE DATABASE {name} OWNER {name} TEMPLATE template0", cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Nothing of the role's has run yet: only the role to drop.
            using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            await ExecuteAsync(admin, $"DROP ROLE IF EXISTS {name}", limit.Token).ConfigureAwait(false);
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
    /// Lets the scratch role of <paramref name="database"/> sign in again, with a new password, and ends its sessions;
    /// returns the password and its stored form (for <see cref="LockAsync"/>).
    /// </summary>
    public static async Task<(string Password, string Verifier)> UnlockAsync(NpgsqlConnection admin, string database, CancellationToken cancellationToken)
    {
        var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var verifier = ScramVerifier(password);
        await ExecuteAsync(admin, $"ALTER ROLE {PgServer.QuoteIdentifier(database)} LOGIN PASSWORD '{verifier}' VALID UNTIL '{Expiry()}'", cancellationToken).ConfigureAwait(false);
        await EndSessionsAsync(admin, database, cancellationToken).ConfigureAwait(false);
        return (password, verifier);
    }

    /// <summary>
    /// Keeps the scratch role of <paramref name="database"/> from signing in (no LOGIN, no password) until
    /// <see cref="UnlockAsync"/>, and ends its sessions: between the steps of a drill nothing may sign in as it.
    /// False when its password was not <paramref name="verifier"/> (null: none), the one this library last gave it:
    /// the snapshot's SQL, which runs as the role, set its own, to sign in as the role from elsewhere.
    /// </summary>
    public static async Task<bool> LockAsync(NpgsqlConnection admin, string database, string? verifier, CancellationToken cancellationToken)
    {
        var untouched = await PasswordIsAsync(admin, database, verifier, cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(admin, $"ALTER ROLE {PgServer.QuoteIdentifier(database)} NOLOGIN PASSWORD NULL", cancellationToken).ConfigureAwait(false);
        await EndSessionsAsync(admin, database, cancellationToken).ConfigureAwait(false);
        return untouched;
    }

    /// <summary>What a scratch role whose password was changed by the snapshot's SQL means, for an exception's message.</summary>
    public static string PasswordChanged(string role) =>
        $"the snapshot's SQL gave its scratch role '{role}' a password of its own, to sign in as that role from elsewhere while the test restore ran: " +
        "the snapshot was written to attack whoever restores it; treat everyone who can write to the repository as hostile";

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
    /// Drops the scratch database <paramref name="database"/> and, when it has one, its scratch role (a role of that
    /// name this class did not make stays): the role is locked and its password checked first, the database's template
    /// flag is reset (its owner may set one to keep it from being dropped), then the database goes, then what the role
    /// made in other databases, where it may have signed in with a password of its own, then the role.
    /// </summary>
    /// <param name="server">The server, as the superuser (or, for a database without a scratch role, its owner).</param>
    /// <param name="database">The scratch database.</param>
    /// <param name="verifier">The password this library last gave the role (null: none, it was locked).</param>
    /// <param name="cancellationToken">Cancels the drop.</param>
    /// <exception cref="NpgsqlException">The database could not be dropped; its role, if any, is locked and stays with it.</exception>
    /// <exception cref="InvalidOperationException">Both are gone, and the role had a password of its own making or objects elsewhere (removed with it).</exception>
    public static async Task DropAsync(PgServer server, string database, string? verifier, CancellationToken cancellationToken)
    {
        string? findings = null;
        List<string> elsewhere = [];
        await using (var admin = await server.OpenAsync("postgres", cancellationToken).ConfigureAwait(false))
        {
            var hasRole = await ExistsAsync(admin, database, cancellationToken).ConfigureAwait(false);
            if (hasRole)
            {
                // Locked first: what the role made elsewhere cannot grow while it is listed and dropped.
                var untouched = await LockAsync(admin, database, verifier, cancellationToken).ConfigureAwait(false);
                elsewhere = await ElsewhereAsync(admin, database, cancellationToken).ConfigureAwait(false);
                findings = Describe(database, untouched, elsewhere);
            }

            var template = new NpgsqlCommand("SELECT datistemplate FROM pg_catalog.pg_database WHERE datname = $1", admin) { Parameters = { new() { Value = database } } };
            await using (template.ConfigureAwait(false))
            {
                if (await template.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true)
                {
                    await ExecuteAsync(admin, $"ALTER DATABASE {PgServer.QuoteIdentifier(database)} IS_TEMPLATE false", cancellationToken).ConfigureAwait(false);
                }
            }

            await PgServer.DropDatabaseAsync(admin, database, cancellationToken).ConfigureAwait(false);
            if (!hasRole)
            {
                return;
            }
        }

        foreach (var other in elsewhere)
        {
            // What the role made or was granted there; the superuser's session runs none of it.
            await using var connection = await server.OpenAsync(other, untrusted: true, cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(connection, $"DROP OWNED BY {PgServer.QuoteIdentifier(database)}", cancellationToken).ConfigureAwait(false);
        }

        await using (var admin = await server.OpenAsync("postgres", cancellationToken).ConfigureAwait(false))
        {
            await ExecuteAsync(admin, $"DROP ROLE IF EXISTS {PgServer.QuoteIdentifier(database)}", cancellationToken).ConfigureAwait(false);
        }

        if (findings is not null)
        {
            throw new InvalidOperationException(findings);
        }
    }

    /// <summary>
    /// What the scratch role <paramref name="role"/> shows of a snapshot written to attack whoever restores it: a
    /// password that is not <paramref name="verifier"/> (the one this library last gave it; null: none), objects in
    /// other databases; null when nothing.
    /// </summary>
    public static async Task<string?> FindingsAsync(NpgsqlConnection admin, string role, string? verifier, CancellationToken cancellationToken) =>
        Describe(role, await PasswordIsAsync(admin, role, verifier, cancellationToken).ConfigureAwait(false), await ElsewhereAsync(admin, role, cancellationToken).ConfigureAwait(false));

    private static string? Describe(string role, bool untouched, List<string> elsewhere)
    {
        if (untouched && elsewhere.Count == 0)
        {
            return null;
        }

        var found = elsewhere.Count > 0 ? $"; it made objects in {string.Join(", ", elsewhere.Select(d => $"'{d}'"))}, dropped with it" : string.Empty;
        return (untouched ? $"the snapshot's SQL reached outside its scratch database as its scratch role '{role}'" : PasswordChanged(role)) + found;
    }

    /// <summary>The databases other than the role's own where it owns objects or holds privileges (pg_shdepend, per database).</summary>
    private static async Task<List<string>> ElsewhereAsync(NpgsqlConnection admin, string role, CancellationToken cancellationToken)
    {
        var elsewhere = new List<string>();
        await using var list = new NpgsqlCommand(
            "SELECT DISTINCT d.datname FROM pg_catalog.pg_shdepend s JOIN pg_catalog.pg_database d ON d.oid = s.dbid " +
            "WHERE s.refclassid = 'pg_catalog.pg_authid'::pg_catalog.regclass AND s.refobjid = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = $1) AND d.datname <> $1 ORDER BY 1",
            admin) { Parameters = { new() { Value = role } } };
        await using var reader = await list.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            elsewhere.Add(reader.GetString(0));
        }

        return elsewhere;
    }

    /// <summary>Whether the stored password of <paramref name="role"/> is <paramref name="verifier"/> (null: none).</summary>
    public static async Task<bool> PasswordIsAsync(NpgsqlConnection admin, string role, string? verifier, CancellationToken cancellationToken)
    {
        await using var read = new NpgsqlCommand("SELECT rolpassword FROM pg_catalog.pg_authid WHERE rolname = $1", admin) { Parameters = { new() { Value = role } } };
        var stored = await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return (stored as string) == verifier;
    }

    /// <summary>A week from now: a role a crash left behind stops signing in by itself.</summary>
    private static string Expiry() => DateTime.UtcNow.AddDays(7).ToString("yyyy-MM-dd HH:mm:ss'+00'", CultureInfo.InvariantCulture);

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
