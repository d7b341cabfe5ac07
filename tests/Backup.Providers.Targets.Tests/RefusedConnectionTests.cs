using System.Net;
using System.Net.Sockets;
using Azure.Core;
using Azure.Core.Pipeline;
using Backup.Core.Storage;
using Backup.Core.Storage.Locations;
using Backup.Providers.Azure;
using Backup.Providers.S3;
using Backup.Providers.Sftp;

namespace Backup.Providers.Targets.Tests;

/// <summary>
/// A repository whose server is down or whose port is wrong: the connection is refused. Each provider says so, naming
/// the endpoint, and leaves the retrying to <see cref="RetryingTarget"/>: the Azure SDK's own six tries, each under
/// our five, made a refused connection take two minutes to report.
/// </summary>
public sealed class RefusedConnectionTests
{
    private static TargetResolver Resolver => new([new SftpTargetProvider(), new S3TargetProvider(), new AzureTargetProvider()]);

    [Theory]
    [InlineData("s3")]
    [InlineData("azure")]
    [InlineData("sftp")]
    public async Task A_port_nothing_listens_on_is_named_as_such_and_left_to_the_retry_layer(string scheme)
    {
        var port = PortNothingListensOn();
        var location = scheme switch
        {
            "s3" => "s3://bucket/repo",
            "azure" => "azure://container/repo",
            _ => $"sftp://backup@127.0.0.1:{port}/srv/repo",
        };
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Endpoint"] = $"http://127.0.0.1:{port}", ["AccessKeyId"] = "id", ["SecretAccessKey"] = "secret-value",
            ["ConnectionString"] = ConnectionString(port),
            ["HostKey"] = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", ["Password"] = "secret-value",
        };
        var target = Resolver.Create(RepositoryLocation.Parse(location), s => settings.GetValueOrDefault(s.Name), new TargetCreateOptions { Retry = false });
        try
        {
            var stat = async () => await target.StatAsync("config");

            var error = (await stat.Should().ThrowAsync<BackupTargetException>()).Which;
            error.IsTransient.Should().BeTrue("a server being restarted refuses for a moment, and the retry layer above waits for it");
            error.Message.Should().Contain($"127.0.0.1:{port}").And.Contain("nothing listens there").And.NotContain("secret-value");
        }
        finally
        {
            if (target is IAsyncDisposable disposable)
            {
                await disposable.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task The_azure_client_does_not_retry_a_refused_connection_itself()
    {
        var attempts = new AttemptCounter();
        var target = new AzureBlobTarget(new AzureBlobTargetOptions
        {
            ConnectionString = ConnectionString(PortNothingListensOn()),
            Container = "container",
            ConfigureClient = client => client.AddPolicy(attempts, HttpPipelinePosition.PerRetry),
        });

        var stat = async () => await target.StatAsync("config");

        await stat.Should().ThrowAsync<BackupTargetException>();
        attempts.Count.Should().Be(1, "the retry layer above retries it, and the SDK's own tries multiplied with its");
    }

    /// <summary>
    /// Only a refused connection is left to the retry layer above: the SDK still retries throttling (503), server errors
    /// (500) and a connection dropped before the answer itself, as it did before its policy was replaced. A server
    /// that answers so on purpose is a stand-in for a real one: Azurite cannot be made to.
    /// </summary>
    [Fact]
    public async Task The_azure_client_still_retries_throttling_server_errors_and_dropped_connections_itself()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        string?[] answers =
        [
            "HTTP/1.1 503 Server Busy\r\nx-ms-error-code: ServerBusy\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            "HTTP/1.1 500 Internal Server Error\r\nx-ms-error-code: InternalError\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            null, // the connection is closed without an answer
            "HTTP/1.1 404 The specified blob does not exist.\r\nx-ms-error-code: BlobNotFound\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        ];
        var requests = 0;
        var server = Task.Run(async () =>
        {
            foreach (var answer in answers)
            {
                using var client = await listener.AcceptTcpClientAsync();
                var stream = client.GetStream();
                var request = new List<byte>();
                var buffer = new byte[4096];
                while (!System.Text.Encoding.ASCII.GetString([.. request]).Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    var read = await stream.ReadAsync(buffer);
                    if (read == 0)
                    {
                        break;
                    }

                    request.AddRange(buffer.AsSpan(0, read));
                }

                Interlocked.Increment(ref requests);

                if (answer is not null)
                {
                    await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(answer));
                }
            }
        });
        var target = new AzureBlobTarget(new AzureBlobTargetOptions
        {
            ConnectionString = ConnectionString(port),
            Container = "container",
            ConfigureClient = client => client.Retry.Delay = TimeSpan.FromMilliseconds(10),
        });

        var info = await target.StatAsync("config").WaitAsync(TimeSpan.FromSeconds(60));

        info.Should().BeNull("the fourth try found no such blob");
        await server.WaitAsync(TimeSpan.FromSeconds(10));
        Volatile.Read(ref requests).Should().Be(4, "the 503, the 500 and the dropped connection were each tried again");
    }

    private static string ConnectionString(int port) =>
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AzuriteFixture.AccountKey};BlobEndpoint=http://127.0.0.1:{port}/devstoreaccount1;";

    /// <summary>A port that was free a moment ago: the listener that found it is closed again, so connecting to it is refused.</summary>
    private static int PortNothingListensOn()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private sealed class AttemptCounter : HttpPipelineSynchronousPolicy
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public override void OnSendingRequest(HttpMessage message) => Interlocked.Increment(ref _count);
    }
}
