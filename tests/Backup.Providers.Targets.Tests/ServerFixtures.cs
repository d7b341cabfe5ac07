using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Backup.Providers.Targets.Tests;

/// <summary>Finds tools, free ports and decides whether a missing server skips (locally) or fails (CI=true).</summary>
internal static class TestServers
{
    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static string RepositoryRoot
    {
        get
        {
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Backup.sln")))
            {
                directory = directory.Parent;
            }

            return directory?.FullName ?? throw new InvalidOperationException("Backup.sln not found above the test assembly.");
        }
    }

    /// <summary>An npm-installed binary in the repository's .tools folder (see scripts/install-remote-test-servers.sh).</summary>
    public static string? NodeTool(string name)
    {
        var path = Path.Combine(Environment.GetEnvironmentVariable("BACKUP_TEST_TOOLS") ?? Path.Combine(RepositoryRoot, ".tools"), "node_modules", ".bin", name);
        return File.Exists(path) ? path : null;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static async Task WaitForPortAsync(int port, ServerProcess process, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{process.Name} exited early: {process.Output}");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }

        throw new TimeoutException($"{process.Name} did not listen on 127.0.0.1:{port} within {timeout}: {process.Output}");
    }

    public static async Task<string> RunAsync(string file, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0 ? output : throw new InvalidOperationException($"{file} failed ({process.ExitCode}): {error}");
    }
}

/// <summary>A server process we started; disposing kills it (by its own id) and its children.</summary>
internal sealed class ServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    public ServerProcess(string name, string file, IEnumerable<string> args, string? workingDirectory = null)
    {
        Name = name;
        var info = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory ?? Path.GetTempPath() };
        _process = Process.Start(info)!;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Name { get; }

    public bool HasExited => _process.HasExited;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            // Keep the tail only: enough to explain a failed start.
            if (_output.Length > 8000)
            {
                _output.Remove(0, 4000);
            }

            _output.AppendLine(line);
        }
    }
}

/// <summary>Common shape: a server that may be unavailable (then tests skip, or fail under CI=true).</summary>
#pragma warning disable CA1001 // IAsyncLifetime.DisposeAsync disposes the process; xUnit calls it.
public abstract class ServerFixture : IAsyncLifetime
#pragma warning restore CA1001
{
    private readonly string _directory = Directory.CreateTempSubdirectory("backup-remote-test-").FullName;
    private ServerProcess? _process;

    /// <summary>Why the server is not running, or null when it is.</summary>
    public string? Unavailable { get; private set; }

    public string WorkDirectory => _directory;

    public int Port { get; private set; }

    public async Task InitializeAsync()
    {
        try
        {
            Port = TestServers.FreePort();
            var start = await PrepareAsync(_directory, Port);
            if (start is null)
            {
                return;
            }

            _process = new ServerProcess(start.Value.Name, start.Value.File, start.Value.Args);
            await TestServers.WaitForPortAsync(Port, _process, TimeSpan.FromSeconds(60));
            await AfterStartAsync();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Unavailable = $"{GetType().Name} could not start: {ex.Message}";
        }
    }

    public Task DisposeAsync()
    {
        _process?.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Temp files; the OS cleans up eventually.
        }
        catch (UnauthorizedAccessException)
        {
            // Same.
        }

        return Task.CompletedTask;
    }

    /// <summary>Skips the test when the server is absent, unless CI=true, where that is a failure.</summary>
    public void RequireServer()
    {
        if (Unavailable is null)
        {
            return;
        }

        if (TestServers.IsCi)
        {
            throw new InvalidOperationException($"CI=true but the test server is unavailable: {Unavailable}");
        }

        Skip.If(true, Unavailable + " (run scripts/install-remote-test-servers.sh)");
    }

    /// <summary>Writes config and returns how to start the server, or sets <see cref="Unavailable"/> and returns null.</summary>
    protected abstract Task<(string Name, string File, string[] Args)?> PrepareAsync(string directory, int port);

    protected virtual Task AfterStartAsync() => Task.CompletedTask;

    protected (string Name, string File, string[] Args)? Missing(string reason)
    {
        Unavailable = reason;
        return null;
    }
}

/// <summary>OpenSSH sshd on 127.0.0.1 with a throwaway host key, logging in as root with a throwaway user key.</summary>
public sealed class SshdFixture : ServerFixture
{
    public string HostKeyFingerprint { get; private set; } = "";

    /// <summary>The fingerprints of the server's other host keys (RSA, ECDSA), which clients do not pick by themselves.</summary>
    public IReadOnlyList<string> OtherHostKeyFingerprints { get; private set; } = [];

    public string UserKeyPath { get; private set; } = "";

    public static string UserName => Environment.UserName;

    protected override async Task<(string Name, string File, string[] Args)?> PrepareAsync(string directory, int port)
    {
        const string sshd = "/usr/sbin/sshd";
        if (!File.Exists(sshd) || !File.Exists("/usr/bin/ssh-keygen"))
        {
            return Missing("OpenSSH sshd is not installed (apt-get install openssh-server)");
        }

        var hostKey = Path.Combine(directory, "host_key");
        UserKeyPath = Path.Combine(directory, "user_key");
        await TestServers.RunAsync("/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hostKey);
        await TestServers.RunAsync("/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", UserKeyPath);
        File.Copy(UserKeyPath + ".pub", Path.Combine(directory, "authorized_keys"));
        // "256 SHA256:abc... comment (ED25519)"
        HostKeyFingerprint = (await TestServers.RunAsync("/usr/bin/ssh-keygen", "-lf", hostKey + ".pub")).Split(' ')[1];
        // Like most servers, it also has an RSA and an ECDSA host key.
        var rsaKey = Path.Combine(directory, "host_rsa_key");
        var ecdsaKey = Path.Combine(directory, "host_ecdsa_key");
        await TestServers.RunAsync("/usr/bin/ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", rsaKey);
        await TestServers.RunAsync("/usr/bin/ssh-keygen", "-q", "-t", "ecdsa", "-N", "", "-f", ecdsaKey);
        OtherHostKeyFingerprints =
        [
            (await TestServers.RunAsync("/usr/bin/ssh-keygen", "-lf", rsaKey + ".pub")).Split(' ')[1],
            (await TestServers.RunAsync("/usr/bin/ssh-keygen", "-lf", ecdsaKey + ".pub")).Split(' ')[1],
        ];
        Directory.CreateDirectory("/run/sshd"); // privilege separation directory sshd insists on
        var config = Path.Combine(directory, "sshd_config");
        await File.WriteAllTextAsync(config, $"""
            HostKey {rsaKey}
            HostKey {ecdsaKey}
            HostKey {hostKey}
            AuthorizedKeysFile {Path.Combine(directory, "authorized_keys")}
            PermitRootLogin prohibit-password
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            UsePAM no
            StrictModes no
            PidFile {Path.Combine(directory, "sshd.pid")}
            Subsystem sftp internal-sftp
            MaxSessions 50
            MaxStartups 50:30:100
            """);
        return ("sshd", sshd, ["-D", "-e", "-f", config, "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-o", "ListenAddress=127.0.0.1"]);
    }
}

/// <summary>Azurite (npm) blob service on 127.0.0.1.</summary>
public sealed class AzuriteFixture : ServerFixture
{
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AccountKey};BlobEndpoint=http://127.0.0.1:{Port}/devstoreaccount1;";

    protected override Task<(string Name, string File, string[] Args)?> PrepareAsync(string directory, int port)
    {
        var tool = TestServers.NodeTool("azurite-blob");
        return Task.FromResult(tool is null
            ? Missing("Azurite is not installed in .tools (npm)")
            : ("azurite-blob", tool, ["--blobHost", "127.0.0.1", "--blobPort", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--location", directory, "--skipApiVersionCheck", "--loose", "--silent"]));
    }
}

/// <summary>s3rver (npm) on 127.0.0.1 with one bucket; credentials S3RVER/S3RVER.</summary>
public sealed class S3rverFixture : ServerFixture
{
    public const string Bucket = "backup-test";

    public Uri Endpoint => new($"http://127.0.0.1:{Port}");

    protected override Task<(string Name, string File, string[] Args)?> PrepareAsync(string directory, int port)
    {
        var tool = TestServers.NodeTool("s3rver");
        return Task.FromResult(tool is null
            ? Missing("s3rver is not installed in .tools (npm)")
            // s3rver encrypts ListObjectsV2 continuation tokens with DES, which Node 17+ (OpenSSL 3) only offers with
            // the legacy provider: without it every second page is an HTTP 500. It also opens all objects' metadata
            // at once when listing, so raise the open-file soft limit.
            : ("s3rver", "/bin/sh", ["-c", "export NODE_OPTIONS=--openssl-legacy-provider; ulimit -n $(ulimit -Hn) 2>/dev/null; exec \"$0\" \"$@\"", tool, "-d", directory, "-a", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--silent", "--configure-bucket", Bucket]));
    }
}
