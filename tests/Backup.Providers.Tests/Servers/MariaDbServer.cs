using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using MySqlConnector;

namespace Backup.Providers.Tests.Servers;

/// <summary>A throwaway MariaDB server: mariadb-install-db into a temp directory, mariadbd on 127.0.0.1:&lt;free port&gt;, a password for root.</summary>
public sealed class MariaDbServer : IAsyncDisposable
{
    public const string Password = "My-Test\"p4ss'w0rd";
    private readonly string _root;
    private Process? _process;

    private MariaDbServer(string root, int port)
    {
        _root = root;
        Port = port;
    }

    public int Port { get; }

    public string ConnectionString(string? database = null) =>
        $"Server=127.0.0.1;Port={Port.ToString(CultureInfo.InvariantCulture)};User ID=tester;SslMode=None" + (database is null ? string.Empty : $";Database={database}");

    public static string? FindServer() => new[] { "/usr/sbin/mariadbd", "/usr/bin/mariadbd", "/usr/sbin/mysqld" }.FirstOrDefault(File.Exists);

    /// <summary>Starts a server; <paramref name="extraArguments"/> go to mariadbd after the usual ones (TLS files, for one).</summary>
    public static async Task<MariaDbServer> StartAsync(IEnumerable<string>? extraArguments = null)
    {
        var daemon = FindServer() ?? throw new InvalidOperationException("MariaDB server binaries are not installed; run scripts/install-test-servers.sh");
        var root = Path.Combine(Path.GetTempPath(), $"mariadbtest-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        // Its own temporary directory, for the bootstrap too: a MariaDB server starting removes every "#sql…" file in
        // its temporary directory, so servers sharing /tmp deleted each other's internal temporary tables mid-query
        // ("Error on delete of '/tmp/#sql-temptable-…'", "Could not remove temporary table" in a parallel bootstrap).
        Directory.CreateDirectory(Path.Combine(root, "tmp"));
        var server = new MariaDbServer(root, ServerProcess.FreePort());
        try
        {
            await ServerProcess.RunAsync("mariadb-install-db", [$"--user={Environment.UserName}", $"--datadir={Path.Combine(root, "data")}", "--auth-root-authentication-method=normal", "--skip-test-db", "--skip-name-resolve", $"--tmpdir={Path.Combine(root, "tmp")}"], timeout: TimeSpan.FromMinutes(2));
            var info = new ProcessStartInfo(daemon) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in new[]
            {
                "--no-defaults", $"--user={Environment.UserName}", $"--datadir={Path.Combine(root, "data")}", $"--port={server.Port}", $"--socket={Path.Combine(root, "sock")}",
                "--bind-address=127.0.0.1", $"--pid-file={Path.Combine(root, "pid")}", $"--log-error={Path.Combine(root, "error.log")}", $"--tmpdir={Path.Combine(root, "tmp")}",
                "--innodb-buffer-pool-size=64M", "--innodb-log-file-size=48M", "--skip-log-bin", "--skip-name-resolve", "--innodb-flush-log-at-trx-commit=0",
            }.Concat(extraArguments ?? []))
            {
                info.ArgumentList.Add(argument);
            }

            server._process = Process.Start(info)!;
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (true)
            {
                try
                {
                    using var client = new TcpClient();
                    await client.ConnectAsync("127.0.0.1", server.Port);
                    break;
                }
                catch (SocketException) when (DateTime.UtcNow < deadline && !server._process.HasExited)
                {
                    await Task.Delay(200);
                }
            }

            var escaped = Password.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal);
            await using var connection = new MySqlConnection($"Server=127.0.0.1;Port={server.Port};User ID=root;SslMode=None;Pooling=false");
            await connection.OpenAsync();
            await using var command = new MySqlCommand($"CREATE USER 'tester'@'%' IDENTIFIED BY '{escaped}'; GRANT ALL ON *.* TO 'tester'@'%' WITH GRANT OPTION; FLUSH PRIVILEGES;", connection);
            await command.ExecuteNonQueryAsync();
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    public async Task<MySqlConnection> OpenAsync(string? database = null)
    {
        var connection = new MySqlConnection(new MySqlConnectionStringBuilder(ConnectionString(database)) { Password = Password, Pooling = false, AllowUserVariables = true }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    public async Task ExecuteAsync(string? database, string sql)
    {
        await using var connection = await OpenAsync(database);
        await using var command = new MySqlCommand(sql, connection) { CommandTimeout = 300 };
        await command.ExecuteNonQueryAsync();
    }

    public async Task<object?> ScalarAsync(string? database, string sql)
    {
        await using var connection = await OpenAsync(database);
        await using var command = new MySqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    public async Task StopAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process?.Dispose();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>One MariaDB server shared by a test class; skipped (or failing under CI=true) when MariaDB is not installed.</summary>
public sealed class MariaDbFixture : IAsyncLifetime
{
    private int _counter;

    public MariaDbServer? Server { get; private set; }

    public string? SkipReason { get; private set; }

    public string NewDatabaseName(string prefix) => $"{prefix}_{Interlocked.Increment(ref _counter)}";

    public async Task InitializeAsync()
    {
        if (MariaDbServer.FindServer() is null && !ServerProcess.IsCi)
        {
            SkipReason = "MariaDB server binaries are not installed (scripts/install-test-servers.sh); set CI=true to make this a failure";
            return;
        }

        Server = await MariaDbServer.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
    }

    public MariaDbServer Require()
    {
        Skip.If(Server is null, SkipReason);
        return Server!;
    }
}
