using System.Globalization;
using Npgsql;

namespace Backup.Providers.Tests.Servers;

/// <summary>A throwaway PostgreSQL server: initdb into a temp directory, pg_ctl start on 127.0.0.1:&lt;free port&gt;, password auth.</summary>
public sealed class PostgresServer : IAsyncDisposable
{
    public const string Password = "pg-Test-p4ss:w0rd";
    private readonly string _root;
    private readonly string _bin;
    private bool _running;

    private PostgresServer(string bin, string root, int port)
    {
        _bin = bin;
        _root = root;
        Port = port;
    }

    public int Port { get; }

    public string DataDirectory => Path.Combine(_root, "data");

    /// <summary>The connection string without the password, as the providers want it.</summary>
    public string ConnectionString(string database = "postgres") => $"Host=127.0.0.1;Port={Port.ToString(CultureInfo.InvariantCulture)};Username=postgres;Database={database}";

    /// <summary>The bin directory of the newest installed PostgreSQL, or null.</summary>
    public static string? FindBin()
    {
        if (!Directory.Exists("/usr/lib/postgresql"))
        {
            return null;
        }

        return Directory.GetDirectories("/usr/lib/postgresql")
            .Select(d => Path.Combine(d, "bin"))
            .Where(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")))
            .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
            .FirstOrDefault();
    }

    public static async Task<PostgresServer> StartAsync()
    {
        var bin = FindBin() ?? throw new InvalidOperationException("PostgreSQL server binaries (initdb, pg_ctl) are not installed; run scripts/install-test-servers.sh");
        var root = Path.Combine(Path.GetTempPath(), $"pgtest-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        await File.WriteAllTextAsync(Path.Combine(root, "pw"), Password + "\n");
        ServerProcess.Chown(root, "postgres");
        var server = new PostgresServer(bin, root, ServerProcess.FreePort());
        try
        {
            await ServerProcess.RunAsync(Path.Combine(bin, "initdb"), ["-D", server.DataDirectory, "-U", "postgres", $"--pwfile={Path.Combine(root, "pw")}", "-A", "scram-sha-256", "--no-sync", "-E", "UTF8", "--locale=C"], "postgres", timeout: TimeSpan.FromMinutes(2));
            await server.StartAsync(firstTime: true);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    public async Task StartAsync(bool firstTime = false)
    {
        _ = firstTime;
        await ServerProcess.RunAsync(Path.Combine(_bin, "pg_ctl"),
            ["-D", DataDirectory, "-l", Path.Combine(_root, "log"), "-w", "-t", "60", "-o", $"-p {Port} -k {_root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60", "start"], "postgres", timeout: TimeSpan.FromMinutes(1));
        _running = true;
    }

    /// <summary>Stops the server at once (as a crash would).</summary>
    public async Task StopAsync()
    {
        if (_running)
        {
            _running = false;
            await ServerProcess.RunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", DataDirectory, "-m", "immediate", "-w", "stop"], "postgres", check: false);
        }
    }

    public async Task<NpgsqlConnection> OpenAsync(string database = "postgres")
    {
        var connection = new NpgsqlConnection(ConnectionString(database) + $";Password={Password};Pooling=false");
        await connection.OpenAsync();
        return connection;
    }

    public async Task ExecuteAsync(string database, string sql)
    {
        await using var connection = await OpenAsync(database);
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 300 };
        await command.ExecuteNonQueryAsync();
    }

    public async Task<object?> ScalarAsync(string database, string sql)
    {
        await using var connection = await OpenAsync(database);
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    public async Task CreateDatabaseAsync(string name) => await ExecuteAsync("postgres", $"CREATE DATABASE \"{name}\"");

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>One server shared by the tests of a class; skipped (or failing under CI=true) when PostgreSQL is not installed.</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private int _counter;

    public PostgresServer? Server { get; private set; }

    public string? SkipReason { get; private set; }

    /// <summary>A fresh database name for one test.</summary>
    public string NewDatabaseName(string prefix) => $"{prefix}_{Interlocked.Increment(ref _counter)}";

    public async Task InitializeAsync()
    {
        if (PostgresServer.FindBin() is null && !ServerProcess.IsCi)
        {
            SkipReason = "PostgreSQL server binaries are not installed (scripts/install-test-servers.sh); set CI=true to make this a failure";
            return;
        }

        Server = await PostgresServer.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
    }

    /// <summary>The server, or a skip.</summary>
    public PostgresServer Require()
    {
        Skip.If(Server is null, SkipReason);
        return Server!;
    }
}
