using System.Net;
using System.Text;
using Amazon.Runtime;
using Azure.Core.Pipeline;
using Backup.Core.Storage;
using Backup.Core.Storage.Locations;
using Backup.Providers.Azure;
using Backup.Providers.S3;

namespace Backup.Providers.Targets.Tests;

/// <summary>
/// A listing page from a hostile or broken object store (or someone answering in its place over plain http) must not
/// read as complete, as ours, or go on for ever: prune keeps only what listings show and deletes what they name.
/// The fake server below answers every request with the page under test, through the SDKs' real request paths.
/// </summary>
public sealed class HostileListingPageTests
{
    private const string S3Key = "0000000000000000000000000000000000000000000000000000000000000000";

    private static string S3Page(string key, bool truncated, string? token) =>
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">" +
        "<Name>bucket</Name><Prefix>repo/index/</Prefix><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys>" +
        $"<IsTruncated>{(truncated ? "true" : "false")}</IsTruncated>" +
        $"<Contents><Key>{key}</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>\"e\"</ETag><Size>10</Size><StorageClass>STANDARD</StorageClass></Contents>" +
        (token is null ? string.Empty : $"<NextContinuationToken>{token}</NextContinuationToken>") +
        "</ListBucketResult>";

    private static S3Target S3(string page, Counter requests) => new(new S3TargetOptions
    {
        Endpoint = new Uri("http://127.0.0.1:9"),
        Bucket = "bucket",
        Prefix = "repo",
        ForcePathStyle = true,
        MaxErrorRetry = 0,
        Credentials = new S3Credentials("AKIDEXAMPLE", "secret"),
        ConfigureClient = config => config.HttpClientFactory = new FakeS3(page, requests),
    });

    private static async Task<List<string>> ListAsync(IBackupTarget target, string prefix)
    {
        var keys = new List<string>();
        await foreach (var info in target.ListAsync(prefix))
        {
            keys.Add(info.Key);
        }

        return keys;
    }

    [Fact]
    public async Task An_S3_listing_of_a_key_outside_the_prefix_asked_for_is_refused()
    {
        using var target = S3(S3Page("repo/data/00/" + S3Key, truncated: false, token: null), new Counter());

        var list = () => ListAsync(target, "index/");

        (await list.Should().ThrowAsync<BackupTargetException>()).Which.Message.Should().Contain("outside the prefix 'repo/index/'");
    }

    [Fact]
    public async Task An_S3_listing_that_says_it_goes_on_without_a_token_is_not_taken_as_complete()
    {
        using var target = S3(S3Page("repo/index/" + S3Key, truncated: true, token: null), new Counter());

        var list = () => ListAsync(target, "index/");

        (await list.Should().ThrowAsync<BackupTargetException>()).Which.Message.Should().Contain("no token");
    }

    [Fact]
    public async Task An_S3_listing_that_repeats_its_token_is_stopped()
    {
        var requests = new Counter();
        using var target = S3(S3Page("repo/index/" + S3Key, truncated: true, token: "SAME"), requests);

        var list = () => ListAsync(target, "index/");

        (await list.Should().ThrowAsync<BackupTargetException>()).Which.Message.Should().Contain("second time");
        requests.Value.Should().Be(2);
    }

    [Fact]
    public void An_S3_endpoint_with_a_password_in_it_is_refused_without_showing_it()
    {
        var options = new S3TargetOptions { Endpoint = new Uri("https://user:TOPSECRET@s3.example.net"), Bucket = "bucket", Credentials = new S3Credentials("AKIDEXAMPLE", "secret") };

        var validate = () => options.Validate();

        validate.Should().Throw<ArgumentException>().Which.Message.Should().Contain("must not carry a user name or password").And.NotContain("TOPSECRET");
    }

    private static string AzurePage(string name, string? marker) =>
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><EnumerationResults ServiceEndpoint=\"http://127.0.0.1:9/devstoreaccount1/\" ContainerName=\"c\">" +
        "<Prefix>repo/index/</Prefix><MaxResults>5000</MaxResults><Blobs><Blob><Name>" + name + "</Name><Properties>" +
        "<Last-Modified>Thu, 01 Jan 2026 00:00:00 GMT</Last-Modified><Content-Length>10</Content-Length><BlobType>BlockBlob</BlobType></Properties></Blob></Blobs>" +
        (marker is null ? "<NextMarker />" : $"<NextMarker>{marker}</NextMarker>") + "</EnumerationResults>";

    private const string AzureAccount = "AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;";

    private static AzureBlobTarget Azure(string page, Counter requests) => new(new AzureBlobTargetOptions
    {
        ConnectionString = "DefaultEndpointsProtocol=http;" + AzureAccount + "BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;",
        Container = "c",
        Prefix = "repo",
        ConfigureClient = options =>
        {
            options.Retry.MaxRetries = 0;
            options.Transport = new HttpClientTransport(new HttpClient(new FakeServer(page, "application/xml", requests)));
        },
    });

    [Fact]
    public async Task An_Azure_listing_of_a_blob_outside_the_prefix_asked_for_is_refused()
    {
        var target = Azure(AzurePage("repo/data/00/" + S3Key, marker: null), new Counter());

        var list = () => ListAsync(target, "index/");

        (await list.Should().ThrowAsync<BackupTargetException>()).Which.Message.Should().Contain("outside the prefix 'repo/index/'");
    }

    [Fact]
    public async Task An_Azure_listing_that_repeats_its_marker_is_stopped()
    {
        var requests = new Counter();
        var target = Azure(AzurePage("repo/index/" + S3Key, marker: "SAME"), requests);

        var list = () => ListAsync(target, "index/");

        (await list.Should().ThrowAsync<BackupTargetException>()).Which.Message.Should().Contain("second time");
        requests.Value.Should().Be(2);
    }

    [Fact]
    public async Task An_Azure_endpoint_that_refuses_connections_fails_as_a_transient_storage_error_saying_why()
    {
        int port;
        using (var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port; // free now: every connection is refused
        }

        var target = new AzureBlobTarget(new AzureBlobTargetOptions
        {
            ConnectionString = $"DefaultEndpointsProtocol=http;{AzureAccount}BlobEndpoint=http://127.0.0.1:{port}/devstoreaccount1;",
            Container = "c",
            ConfigureClient = options =>
            {
                options.Retry.MaxRetries = 1;
                options.Retry.Delay = TimeSpan.FromMilliseconds(1);
            },
        });

        var list = () => ListAsync(target, "index/");
        var read = () => target.ReadAllAsync("config", 1024);

        (await list.Should().ThrowAsync<BackupTargetException>()).Which.IsTransient.Should().BeTrue("a refused connection is a storage failure, retried by the repository's own retry layer");
        (await read.Should().ThrowAsync<BackupTargetException>()).Which.Message.Should().Contain("was refused: nothing listens there", "the reason, not 'HTTP 0'").And.NotContain("HTTP 0");
    }

    [Theory]
    [InlineData("BlobEndpoint=http://192.0.2.2:9444/devstoreaccount1;", false, true)]
    [InlineData("DefaultEndpointsProtocol=http;EndpointSuffix=core.windows.net;", false, true)]
    [InlineData("BlobEndpoint=http://192.0.2.2:9444/devstoreaccount1;", true, false)]
    [InlineData("BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;", false, false)]
    [InlineData("DefaultEndpointsProtocol=https;EndpointSuffix=core.windows.net;", false, false)]
    public void Plain_http_to_another_machine_is_refused_for_Azure_as_for_S3_unless_allowed(string endpoint, bool allow, bool refused)
    {
        var create = () => new AzureBlobTarget(new AzureBlobTargetOptions { ConnectionString = AzureAccount + endpoint, Container = "c", AllowInsecureHttp = allow });

        if (refused)
        {
            create.Should().Throw<InsecureTransportException>().WithMessage("*plain http://*AllowInsecureHttp*");
        }
        else
        {
            create.Should().NotThrow();
        }
    }

    private sealed class Counter
    {
        public int Value;
    }

    private sealed class FakeS3(string page, Counter requests) : HttpClientFactory
    {
        public override HttpClient CreateHttpClient(IClientConfig clientConfig) => new(new FakeServer(page, "application/xml", requests));

        public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => false;
    }

    /// <summary>Answers every request with the same page; stops answering after 50, so a listing that loops fails the test instead of hanging it.</summary>
    private sealed class FakeServer(string body, string contentType, Counter requests) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref requests.Value) > 50)
            {
                return Task.FromResult(new HttpResponseMessage(HttpStatusCode.Forbidden));
            }

            var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, contentType) };
            response.Headers.Add("x-ms-request-id", Guid.NewGuid().ToString());
            response.Headers.Add("x-ms-version", "2021-12-02");
            return Task.FromResult(response);
        }
    }
}
