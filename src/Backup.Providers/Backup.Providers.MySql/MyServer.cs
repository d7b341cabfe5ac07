using System.Globalization;
using System.Text;
using MySqlConnector;

namespace Backup.Providers.MySql;

/// <summary>One server as the providers reach it: connections with the separate password, tools, and the private option file.</summary>
internal sealed class MyServer
{
    private readonly MySqlConnectionStringBuilder _builder;
    private readonly string? _toolsDirectory;

    public MyServer(MySqlConnectionOptions options)
    {
        options.Validate();
        _builder = new MySqlConnectionStringBuilder(options.ConnectionString);
        if (options.Password is not null)
        {
            _builder.Password = options.Password;
        }

        _builder.PersistSecurityInfo = false;
        _builder.Pooling = false;
        _builder.AllowUserVariables = true;
        _toolsDirectory = options.ClientToolsDirectory;
    }

    private MyServer(MySqlConnectionStringBuilder builder, string? toolsDirectory)
    {
        _builder = builder;
        _toolsDirectory = toolsDirectory;
    }

    /// <summary>The same server, signed in to as <paramref name="user"/> with <paramref name="password"/> (a scratch user).</summary>
    public MyServer As(string user, string password) =>
        new(new MySqlConnectionStringBuilder(_builder.ConnectionString) { UserID = user, Password = password, PersistSecurityInfo = false, Pooling = false, AllowUserVariables = true }, _toolsDirectory);

    public string Host => string.IsNullOrEmpty(_builder.Server) ? "localhost" : _builder.Server;

    public uint Port => _builder.Port;

    public string? Database => _builder.Database;

    public IReadOnlyCollection<string> Secrets => _builder.Password is { Length: > 0 } p ? [p] : [];

    public string Endpoint => $"{Host}:{Port.ToString(CultureInfo.InvariantCulture)}";

    public async Task<MySqlConnection> OpenAsync(string? database, CancellationToken cancellationToken)
    {
        var builder = new MySqlConnectionStringBuilder(_builder.ConnectionString) { Database = database ?? string.Empty };
        var connection = new MySqlConnection(builder.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (MySqlException ex) when (ex.ErrorCode == MySqlErrorCode.UnableToConnectToHost)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw new IOException(Unreachable(ex), ex);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return connection;
    }

    /// <summary>
    /// The first connection of a backup, restore or check as the configured user: <see cref="OpenAsync"/>, and a
    /// refused login (error 1045) said with the server, the account it names and what to check. The driver's own
    /// "Access denied for user 'u'@'h' (using password: YES)" says neither where nor what to look at.
    /// </summary>
    /// <exception cref="IOException">The server cannot be reached.</exception>
    /// <exception cref="MySignInRefusedException">The server refused the login.</exception>
    public async Task<MySqlConnection> OpenCheckedAsync(string? database, CancellationToken cancellationToken)
    {
        try
        {
            return await OpenAsync(database, cancellationToken).ConfigureAwait(false);
        }
        catch (MySqlException ex) when (ex.ErrorCode == MySqlErrorCode.AccessDenied)
        {
            var refused = $"the MariaDB/MySQL server at {Endpoint} refused the login (error 1045: {ex.Message.TrimEnd('.')})";
            throw new MySignInRefusedException(
                string.IsNullOrEmpty(_builder.Password)
                    ? $"{refused}: no password was given."
                    : $"{refused}: check the password given for that user, and that the user has an account for the host part the server names after '@' " +
                      "(accounts are 'user'@'host': this machine's address or name as the server sees it, or a pattern such as '%' that covers it).",
                ex);
        }
    }

    /// <summary>The driver's "Unable to connect to any of the specified MySQL hosts" names neither the host nor why; an operator needs both.</summary>
    private string Unreachable(MySqlException ex)
    {
        var cause = ex.InnerException is { Message: { Length: > 0 } inner } ? $" ({inner.TrimEnd('.')})" : string.Empty;
        return $"cannot reach the MySQL/MariaDB server at {Endpoint}{cause}: check that it is running, that the connection string's Server and Port name it, and that nothing blocks the way.";
    }

    public string LocateTool(params string[] names) =>
        ToolLocator.Find(names, [_toolsDirectory]) ?? throw new InvalidOperationException($"{string.Join(" or ", names)} was not found (looked in {_toolsDirectory ?? "(no ClientToolsDirectory)"} and PATH); install the MariaDB or MySQL client or set ClientToolsDirectory.");

    /// <summary>A 0600 option file for <paramref name="tool"/> with the connection, password and TLS settings, for --defaults-extra-file (which must be the tool's first argument).</summary>
    public async Task<TempFile> WriteOptionFileAsync(string tool, CancellationToken cancellationToken)
    {
        var mariaDb = await IsMariaDbToolAsync(tool, cancellationToken).ConfigureAwait(false);
        var text = new StringBuilder("[client]\n");
        text.Append(CultureInfo.InvariantCulture, $"host={Quote(Host)}\nport={Port}\n");
        if (!string.IsNullOrEmpty(_builder.UserID))
        {
            text.Append(CultureInfo.InvariantCulture, $"user={Quote(_builder.UserID)}\n");
        }

        if (!string.IsNullOrEmpty(_builder.Password))
        {
            text.Append(CultureInfo.InvariantCulture, $"password={Quote(_builder.Password)}\n");
        }

        AppendTlsOptions(text, _builder, mariaDb);
        return await Providers.Secrets.WritePrivateFileAsync(text.ToString(), ".cnf", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Whether <paramref name="tool"/> is MariaDB's (its version line says so; Debian's mysqldump often is), which spells the TLS options differently.</summary>
    public static async Task<bool> IsMariaDbToolAsync(string tool, CancellationToken cancellationToken)
    {
        await using var process = ToolProcess.Start(tool, ["--version"], null, []);
        var output = await process.ReadOutputToEndAsync(cancellationToken).ConfigureAwait(false);
        await process.WaitAsync(cancellationToken).ConfigureAwait(false);
        return output.Contains("MariaDB", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// The connection string's TLS settings in the tools' own terms, so mariadb-dump and mysql connect as the driver
    /// does: a backup that demands TLS must not have its dump stream sent in clear. MySQL's tools take
    /// <c>ssl-mode</c>; MariaDB's take <c>ssl</c>, <c>skip-ssl</c> and <c>ssl-verify-server-cert</c> instead. A
    /// tool that does not know an option written here fails rather than connect without it.
    /// </summary>
    /// <remarks>
    /// MariaDB's tools refuse a server without TLS only when they also verify its certificate: with
    /// <see cref="MySqlSslMode.Required"/> they ask for TLS but would still fall back to plain text, so a connection
    /// that must not be downgraded needs <see cref="MySqlSslMode.VerifyCA"/> or <see cref="MySqlSslMode.VerifyFull"/>
    /// (which MariaDB's tools both enforce as a full check, host name included).
    /// </remarks>
    /// <exception cref="InvalidOperationException">A client certificate is given only as a PKCS #12 file, which the tools cannot read.</exception>
    internal static void AppendTlsOptions(StringBuilder text, MySqlConnectionStringBuilder builder, bool mariaDb)
    {
        text.Append((builder.SslMode, mariaDb) switch
        {
            (MySqlSslMode.None, true) => "skip-ssl\n",
            (MySqlSslMode.Preferred, true) => string.Empty,
            (MySqlSslMode.Required, true) => "ssl\n",
            (MySqlSslMode.VerifyCA or MySqlSslMode.VerifyFull, true) => "ssl\nssl-verify-server-cert\n",
            (MySqlSslMode.None, false) => "ssl-mode=DISABLED\n",
            (MySqlSslMode.Preferred, false) => "ssl-mode=PREFERRED\n",
            (MySqlSslMode.Required, false) => "ssl-mode=REQUIRED\n",
            (MySqlSslMode.VerifyCA, false) => "ssl-mode=VERIFY_CA\n",
            (MySqlSslMode.VerifyFull, false) => "ssl-mode=VERIFY_IDENTITY\n",
            var (other, _) => throw new InvalidOperationException($"SslMode {other} has no equivalent in the MariaDB/MySQL client tools."),
        });
        if (builder.SslMode == MySqlSslMode.None)
        {
            return;
        }

        if (!string.IsNullOrEmpty(builder.CertificateFile) && string.IsNullOrEmpty(builder.SslCert))
        {
            throw new InvalidOperationException(
                "The connection string gives the client certificate as a PKCS #12 file (CertificateFile), which the MariaDB/MySQL client tools cannot read; give it as PEM files with SslCert and SslKey.");
        }

        foreach (var (option, value) in new[] { ("ssl-ca", builder.SslCa), ("ssl-cert", builder.SslCert), ("ssl-key", builder.SslKey) })
        {
            if (!string.IsNullOrEmpty(value))
            {
                text.Append(CultureInfo.InvariantCulture, $"{option}={Quote(Path.GetFullPath(value))}\n");
            }
        }

        if (ToolTlsVersions(builder.TlsVersion) is { } versions)
        {
            text.Append(CultureInfo.InvariantCulture, $"tls-version={versions}\n");
        }
    }

    /// <summary>"Tls12, Tls13" (the driver's spelling) as "TLSv1.2,TLSv1.3" (the tools'); null when none is given.</summary>
    private static string? ToolTlsVersions(string? driverVersions)
    {
        if (string.IsNullOrWhiteSpace(driverVersions))
        {
            return null;
        }

        // The builder may hand back "TLS 1.2, TLS 1.3" as well as "Tls12,Tls13".
        var versions = driverVersions.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(v => v.Replace(" ", string.Empty, StringComparison.Ordinal).Replace(".", string.Empty, StringComparison.Ordinal)
                .Replace("v", string.Empty, StringComparison.OrdinalIgnoreCase).ToUpperInvariant() switch
            {
                "TLS1" or "TLS10" => "TLSv1",
                "TLS11" => "TLSv1.1",
                "TLS12" => "TLSv1.2",
                "TLS13" => "TLSv1.3",
                _ => throw new InvalidOperationException($"TlsVersion '{v}' is not one the MariaDB/MySQL client tools know (Tls12, Tls13)."),
            });
        return string.Join(',', versions.Distinct(StringComparer.Ordinal));
    }

    public static string QuoteIdentifier(string name) => "`" + name.Replace("`", "``", StringComparison.Ordinal) + "`";

    /// <summary>Errors on a MariaDB/MySQL tool's stderr: anything but warnings and notes.</summary>
    public static bool IsErrorLine(string line) =>
        !line.Contains("Warning", StringComparison.OrdinalIgnoreCase) && !line.Contains("[Note]", StringComparison.Ordinal) && !line.StartsWith("Deprecated", StringComparison.OrdinalIgnoreCase);

    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
