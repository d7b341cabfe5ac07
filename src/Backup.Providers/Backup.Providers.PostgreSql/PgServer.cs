using System.Globalization;
using System.Text;
using Npgsql;

namespace Backup.Providers.PostgreSql;

/// <summary>One server as the providers reach it: connections (with the separate password), client tools and their environment.</summary>
internal sealed class PgServer
{
    private readonly NpgsqlConnectionStringBuilder _builder;
    private readonly string? _toolsDirectory;

    public PgServer(PostgreSqlConnectionOptions options)
    {
        options.Validate();
        _builder = new NpgsqlConnectionStringBuilder(options.ConnectionString);
        if (options.Password is not null)
        {
            _builder.Password = options.Password;
        }

        // Npgsql must not keep the password readable from the connection's ConnectionString afterwards.
        _builder.PersistSecurityInfo = false;
        // No pooling: every connection here is long-lived or one-off, and pooled idle sessions would block dropping scratch databases.
        _builder.Pooling = false;
        _toolsDirectory = options.ClientToolsDirectory;
    }

    private PgServer(NpgsqlConnectionStringBuilder builder, string? toolsDirectory)
    {
        _builder = builder;
        _toolsDirectory = toolsDirectory;
    }

    public string? Password => _builder.Password;

    public IReadOnlyCollection<string> Secrets => Password is { Length: > 0 } p ? [p] : [];

    public string Host => _builder.Host ?? "localhost";

    public int Port => _builder.Port;

    public string? Username => _builder.Username;

    public string? Database => _builder.Database;

    /// <summary>A label for snapshot paths and messages: host:port (never the user or password).</summary>
    public string Endpoint => $"{Host}:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The same server, signed in to as <paramref name="username"/> with <paramref name="password"/> (a scratch role).</summary>
    public PgServer As(string username, string password) =>
        new(new NpgsqlConnectionStringBuilder(_builder.ConnectionString) { Username = username, Password = password, PersistSecurityInfo = false, Pooling = false }, _toolsDirectory);

    public Task<NpgsqlConnection> OpenAsync(string? database, CancellationToken cancellationToken) => OpenAsync(database, untrusted: false, cancellationToken);

    /// <summary>
    /// Connects to <paramref name="database"/>. <paramref name="untrusted"/>: a database whose owner may be someone
    /// else (a scratch role that ran a snapshot's SQL): the session starts with its own search_path, since the owner
    /// can give the database one (<c>ALTER DATABASE … SET search_path = public, pg_catalog</c>) that puts a table or
    /// function of theirs in front of the catalog for every query of this session, Npgsql's own type loading first.
    /// </summary>
    public async Task<NpgsqlConnection> OpenAsync(string? database, bool untrusted, CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(_builder.ConnectionString) { Database = database ?? _builder.Database ?? "postgres" };
        if (untrusted)
        {
            // Startup options outrank the database's and role's defaults; pg_catalog, not named, is searched first.
            builder.Options = $"{builder.Options} -c search_path=public".TrimStart();
        }

        var connection = new NpgsqlConnection(builder.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return connection;
    }

    /// <summary>Signs in to the maintenance database and out again, failing as <see cref="OpenMaintenanceAsync"/> does.</summary>
    /// <exception cref="IOException">The server cannot be reached, or what answers is not a PostgreSQL server.</exception>
    /// <exception cref="NpgsqlException">The server refused the sign-in (its <see cref="PostgresException"/> is the inner exception).</exception>
    public async Task SignInAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenMaintenanceAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A connection to the maintenance database, where every restore, check and drill starts. Npgsql's messages
    /// ("Failed to connect to …", "Received unknown response d for SSLRequest", "28P01: password authentication failed …")
    /// name neither the server's role nor what to check; these do, with the host and port.
    /// </summary>
    /// <exception cref="IOException">The server cannot be reached, or what answers is not a PostgreSQL server.</exception>
    /// <exception cref="NpgsqlException">The server refused the sign-in (its <see cref="PostgresException"/> is the inner exception), or asked for a password and none was given.</exception>
    public Task<NpgsqlConnection> OpenMaintenanceAsync(CancellationToken cancellationToken) => OpenCheckedAsync("postgres", cancellationToken);

    /// <summary>
    /// The first connection of a backup, restore or check, to <paramref name="database"/> (the connection string's when
    /// null): <see cref="OpenAsync(string?, CancellationToken)"/> with its failures said as <see cref="OpenMaintenanceAsync"/> says them.
    /// </summary>
    /// <exception cref="IOException">The server cannot be reached, or what answers is not a PostgreSQL server.</exception>
    /// <exception cref="NpgsqlException">The server refused the sign-in, or asked for a password and none was given.</exception>
    public async Task<NpgsqlConnection> OpenCheckedAsync(string? database, CancellationToken cancellationToken)
    {
        try
        {
            return await OpenAsync(database, cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState.StartsWith("28", StringComparison.Ordinal))
        {
            // Class 28: invalid authorization (a wrong password, a user pg_hba.conf does not let in).
            throw new NpgsqlException(
                $"the PostgreSQL server at {Endpoint} refused the sign-in ({ex.SqlState}: {ex.MessageText}): check the connection string's Username, " +
                "the password, and that the server's pg_hba.conf lets that user in from this host.", ex);
        }
        catch (NpgsqlException ex) when (IsPasswordMissing(ex))
        {
            // Npgsql says so in a plain NpgsqlException, which would otherwise read as a server that cannot be reached.
            throw new NpgsqlException(
                $"the PostgreSQL server at {Endpoint} asked for a password for {(Username is null ? "the default user" : $"user '{Username}'")} and none was given (nor found in PGPASSWORD or a .pgpass file).", ex);
        }
        catch (NpgsqlException ex) when (ex is not PostgresException && !cancellationToken.IsCancellationRequested)
        {
            var cause = ex.InnerException is System.Net.Sockets.SocketException or TimeoutException && ex.InnerException.Message is { Length: > 0 } inner ? inner : ex.Message;
            throw new IOException(
                $"cannot reach the PostgreSQL server at {Endpoint} ({cause.TrimEnd('.')}): check that it is running, that the connection string's Host and Port " +
                "name it (a PostgreSQL server, not another kind), and that nothing blocks the way.", ex);
        }
    }

    /// <summary>Npgsql's "No password has been provided but the backend requires one (in SASL/SCRAM-SHA-256)": it has no error code of its own.</summary>
    private static bool IsPasswordMissing(NpgsqlException exception) =>
        exception is not PostgresException && exception.Message.StartsWith("No password has been provided", StringComparison.Ordinal);

    /// <summary>
    /// Drops <paramref name="database"/> if it exists, ending the sessions still in it: FORCE from PostgreSQL 13, by
    /// hand before (a tool's session that has not quite ended would otherwise keep it from going).
    /// </summary>
    public static async Task DropDatabaseAsync(NpgsqlConnection admin, string database, CancellationToken cancellationToken)
    {
        var version = await GetServerVersionNumAsync(admin, cancellationToken).ConfigureAwait(false);
        if (version < 130000)
        {
            await using var end = new NpgsqlCommand("SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity WHERE datname = $1 AND pid <> pg_catalog.pg_backend_pid()", admin) { Parameters = { new() { Value = database } } };
            await end.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {QuoteIdentifier(database)}{(version >= 130000 ? " WITH (FORCE)" : string.Empty)}", admin);
        await drop.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public static async Task<int> GetServerVersionNumAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SHOW server_version_num", connection);
        var text = (string)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        return int.Parse(text, CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Finds <paramref name="tool"/> of at least the server's major version: the configured directory, the
    /// Debian/Ubuntu layout for that major, newer installed majors, then PATH. pg_dump refuses (or worse, silently
    /// misses features of) servers newer than itself, so an older tool is an error, not a fallback.
    /// </summary>
    public async Task<string> LocateToolAsync(string tool, int serverVersionNum, CancellationToken cancellationToken)
    {
        var major = serverVersionNum / 10000;
        var directories = new List<string?> { _toolsDirectory, $"/usr/lib/postgresql/{major}/bin" };
        if (Directory.Exists("/usr/lib/postgresql"))
        {
            directories.AddRange(Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => (Dir: d, Major: int.TryParse(Path.GetFileName(d), NumberStyles.Integer, CultureInfo.InvariantCulture, out var m) ? m : 0))
                .Where(x => x.Major > major).OrderByDescending(x => x.Major).Select(x => Path.Combine(x.Dir, "bin")));
        }

        var path = ToolLocator.Find([tool], directories)
            ?? throw new InvalidOperationException($"{tool} was not found (looked in {string.Join(", ", directories.Where(d => d is not null))} and PATH); install the PostgreSQL {major} client tools or set ClientToolsDirectory.");
        var toolMajor = await GetToolMajorAsync(path, cancellationToken).ConfigureAwait(false);
        if (toolMajor < major)
        {
            throw new InvalidOperationException($"{path} is version {toolMajor}, older than the server's major version {major}; install the PostgreSQL {major} client tools or set ClientToolsDirectory.");
        }

        return path;
    }

    /// <summary>Like <see cref="LocateToolAsync"/> but null instead of an error (driver-only mode uses pg_dump only when it can).</summary>
    public async Task<string?> TryLocateToolAsync(string tool, int serverVersionNum, CancellationToken cancellationToken)
    {
        try
        {
            return await LocateToolAsync(tool, serverVersionNum, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>The environment for a client tool: where to connect, and the password only through a private PGPASSFILE.</summary>
    public Task<ToolEnvironment> CreateToolEnvironmentAsync(string database, CancellationToken cancellationToken) => CreateToolEnvironmentAsync(database, null, cancellationToken);

    /// <summary>As the overload without it, and <paramref name="pgOptions"/>, when set, becomes PGOPTIONS (session settings such as <c>-c maintenance_work_mem=…</c>).</summary>
    public async Task<ToolEnvironment> CreateToolEnvironmentAsync(string database, string? pgOptions, CancellationToken cancellationToken)
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            // Names go through the environment, not arguments: no quoting issues with odd database names.
            ["PGHOST"] = Host,
            ["PGPORT"] = Port.ToString(CultureInfo.InvariantCulture),
            ["PGDATABASE"] = database,
            ["PGUSER"] = Username,
            ["PGAPPNAME"] = "backup-sdk",
            ["PGCONNECT_TIMEOUT"] = "30",
            ["PGSSLMODE"] = _builder.SslMode switch
            {
                SslMode.Disable => "disable",
                SslMode.Allow => "allow",
                SslMode.Require => "require",
                SslMode.VerifyCA => "verify-ca",
                SslMode.VerifyFull => "verify-full",
                _ => "prefer",
            },
            ["PGPASSWORD"] = null,
            ["LC_MESSAGES"] = "C",
        };
        if (pgOptions is not null)
        {
            environment["PGOPTIONS"] = pgOptions;
        }

        TempFile? passFile = null;
        if (Password is { Length: > 0 } password)
        {
            passFile = await Providers.Secrets.WritePrivateFileAsync($"*:*:*:*:{EscapePass(password)}\n", ".pgpass", cancellationToken).ConfigureAwait(false);
            environment["PGPASSFILE"] = passFile.Path;
        }

        return new ToolEnvironment(environment, passFile);
    }

    public static string QuoteIdentifier(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    public static bool IsErrorLine(string line) =>
        line.Contains("error:", StringComparison.OrdinalIgnoreCase) || line.StartsWith("FATAL", StringComparison.Ordinal)
        || line.Contains("PANIC", StringComparison.Ordinal) || line.StartsWith("ERROR:", StringComparison.Ordinal);

    private static string EscapePass(string value)
    {
        var builder = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            if (c is '\\' or ':')
            {
                builder.Append('\\');
            }

            builder.Append(c);
        }

        return builder.ToString();
    }

    /// <summary>Whether <paramref name="psql"/> knows <c>\restrict</c>, which switches meta-commands off (its command help lists it).</summary>
    public static async Task<bool> SupportsRestrictAsync(string psql, CancellationToken cancellationToken)
    {
        await using var process = ToolProcess.Start(psql, ["--help=commands"], null, []);
        var output = await process.ReadOutputToEndAsync(cancellationToken).ConfigureAwait(false);
        var outcome = await process.WaitAsync(cancellationToken).ConfigureAwait(false);
        return outcome.ExitCode == 0 && output.Contains("\\restrict ", StringComparison.Ordinal);
    }

    private static async Task<int> GetToolMajorAsync(string path, CancellationToken cancellationToken)
    {
        await using var process = ToolProcess.Start(path, ["--version"], null, []);
        var output = await process.ReadOutputToEndAsync(cancellationToken).ConfigureAwait(false);
        await process.WaitAsync(cancellationToken).ConfigureAwait(false);
        // "pg_dump (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)"
        var version = output.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(w => w.Length > 0 && char.IsAsciiDigit(w[0])) ?? "0";
        var majorText = version.Split('.')[0];
        return int.TryParse(majorText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var major) ? major : 0;
    }
}

/// <summary>A tool's environment and the private password file it points to, deleted on dispose.</summary>
internal sealed class ToolEnvironment(IReadOnlyDictionary<string, string?> variables, TempFile? passFile) : IDisposable
{
    public IReadOnlyDictionary<string, string?> Variables { get; } = variables;

    public void Dispose() => passFile?.Dispose();
}
