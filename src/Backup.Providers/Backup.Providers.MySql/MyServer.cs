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
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return connection;
    }

    public string LocateTool(params string[] names) =>
        ToolLocator.Find(names, [_toolsDirectory]) ?? throw new InvalidOperationException($"{string.Join(" or ", names)} was not found (looked in {_toolsDirectory ?? "(no ClientToolsDirectory)"} and PATH); install the MariaDB or MySQL client or set ClientToolsDirectory.");

    /// <summary>A 0600 option file with the connection and password, for --defaults-extra-file (which must be the tool's first argument).</summary>
    public Task<TempFile> WriteOptionFileAsync(CancellationToken cancellationToken)
    {
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

        text.Append(_builder.SslMode == MySqlSslMode.None ? "skip-ssl\n" : string.Empty);
        return Providers.Secrets.WritePrivateFileAsync(text.ToString(), ".cnf", cancellationToken);
    }

    public static string QuoteIdentifier(string name) => "`" + name.Replace("`", "``", StringComparison.Ordinal) + "`";

    /// <summary>Errors on a MariaDB/MySQL tool's stderr: anything but warnings and notes.</summary>
    public static bool IsErrorLine(string line) =>
        !line.Contains("Warning", StringComparison.OrdinalIgnoreCase) && !line.Contains("[Note]", StringComparison.Ordinal) && !line.StartsWith("Deprecated", StringComparison.OrdinalIgnoreCase);

    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
