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
