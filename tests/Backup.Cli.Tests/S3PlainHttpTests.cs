using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text;

namespace Backup.Cli.Tests;

/// <summary>
/// An http:// S3 endpoint on another machine sends every request (and a session token) in clear: refused unless
/// --allow-insecure-http is given, while http:// to this machine (the test servers) keeps working.
/// </summary>
public sealed class S3PlainHttpTests : IDisposable
{
    private const string SessionToken = "session-token-that-must-not-travel-in-clear";
    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    private static Dictionary<string, string?> S3Environment(IPEndPoint endpoint) => new()
    {
        ["BACKUP_REPOSITORY"] = "s3://bucket/repo",
        ["BACKUP_S3_ENDPOINT"] = $"http://{(endpoint.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{endpoint.Address}]" : endpoint.Address.ToString())}:{endpoint.Port}",
        ["BACKUP_S3_PATH_STYLE"] = "true",
        ["AWS_ACCESS_KEY_ID"] = "AKIDEXAMPLE",
        ["AWS_SECRET_ACCESS_KEY"] = "secret-access-key",
        ["AWS_SESSION_TOKEN"] = SessionToken,
    };

    [SkippableFact]
    public async Task Plain_http_to_another_machine_is_refused_before_any_request_and_allowed_only_with_the_flag()
    {
        var address = NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
        Skip.If(address is null, "this machine has no non-loopback IPv4 address");
        using var server = new RecordingServer(address!);

        var refused = await _cli.RunAsync(["snapshots"], stdin: null, S3Environment(server.Endpoint));

        refused.ExitCode.Should().Be(2, refused.Stderr);
        refused.Stderr.Should().Contain("plain http://").And.Contain("--allow-insecure-http");
        server.Requests.Should().BeEmpty("nothing may be sent before the endpoint is accepted");

        var allowed = await _cli.RunAsync(["snapshots", "--allow-insecure-http"], stdin: null, S3Environment(server.Endpoint));

        allowed.Stderr.Should().Contain("warning").And.Contain("plain http://");
        server.Requests.Should().NotBeEmpty("with the flag the request is sent")
            .And.Contain(r => r.Contains(SessionToken, StringComparison.Ordinal), "which is what the refusal protects: the token travels in clear");
        allowed.ExitCode.Should().NotBe(0, "the recording server answers every request with 403");
    }

    [Fact]
    public async Task Plain_http_to_this_machine_needs_no_flag_and_draws_no_warning()
    {
        using var server = new RecordingServer(IPAddress.Loopback);

        var result = await _cli.RunAsync(["snapshots"], stdin: null, S3Environment(server.Endpoint));

        server.Requests.Should().NotBeEmpty("the loopback endpoint is used as given");
        result.Stderr.Should().NotContain("--allow-insecure-http").And.NotContain("warning");
    }

    /// <summary>Accepts connections, keeps each request's head and answers 403, so the tool fails at once instead of retrying.</summary>
    private sealed class RecordingServer : IDisposable
    {
        private readonly TcpListener _listener;
        private readonly CancellationTokenSource _stop = new();
        private readonly List<string> _requests = [];
        private readonly Task _loop;

        public RecordingServer(IPAddress address)
        {
            _listener = new TcpListener(address, 0);
            _listener.Start();
            _loop = AcceptAsync();
        }

        public IPEndPoint Endpoint => (IPEndPoint)_listener.LocalEndpoint;

        public IReadOnlyList<string> Requests
        {
            get
            {
                lock (_requests)
                {
                    return [.. _requests];
                }
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            try
            {
                _loop.Wait(TimeSpan.FromSeconds(5));
            }
            catch (AggregateException)
            {
                // Stopped.
            }

            _stop.Dispose();
        }

        private async Task AcceptAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient client;
                try
                {
                    client = await _listener.AcceptTcpClientAsync(_stop.Token);
                }
                catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                    return;
                }

                _ = Task.Run(() => ServeAsync(client));
            }
        }

        private async Task ServeAsync(TcpClient client)
        {
            using (client)
            {
                try
                {
                    var stream = client.GetStream();
                    var buffer = new byte[64 * 1024];
                    var head = new StringBuilder();
                    while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                    {
                        var read = await stream.ReadAsync(buffer, _stop.Token);
                        if (read == 0)
                        {
                            return;
                        }

                        head.Append(Encoding.Latin1.GetString(buffer, 0, read));
                    }

                    lock (_requests)
                    {
                        _requests.Add(head.ToString());
                    }

                    var body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>";
                    var response = $"HTTP/1.1 403 Forbidden\r\nContent-Type: application/xml\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\nConnection: close\r\n\r\n{body}";
                    await stream.WriteAsync(Encoding.UTF8.GetBytes(response), _stop.Token);
                }
                catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException)
                {
                    // The client went away.
                }
            }
        }
    }
}
