using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Amazon.Runtime;

namespace Backup.Providers.Targets.Tests;

/// <summary>
/// Stands in for S3 Object Lock, which s3rver lacks, at the HTTP level so the real SDK request path is tested:
/// records retention headers on PUT / CreateMultipartUpload and returns them on HEAD like S3 does, and answers
/// GetObjectLockConfiguration as a bucket with Object Lock enabled. PutObjectRetention (PUT ?retention) is answered
/// with S3's rules: a missing object is 404; a retention is never shortened (compliance: refused with 403; governance:
/// refused with 403 unless x-amz-bypass-governance-retention is sent), nor turned from compliance into governance.
/// Everything else goes to the real server.
/// </summary>
internal sealed class ObjectLockHttpSimulator : HttpClientFactory
{
    private int _heads;
    private int _retentionPuts;

    public ConcurrentDictionary<string, (string Mode, DateTimeOffset Until)> Locks { get; } = new(StringComparer.Ordinal);

    public bool ContentMd5Seen { get; private set; }

    /// <summary>HEAD requests seen: the read-back of a lock costs one.</summary>
    public int Heads => Volatile.Read(ref _heads);

    /// <summary>PutObjectRetention requests seen, refused ones included.</summary>
    public int RetentionPuts => Volatile.Read(ref _retentionPuts);

    /// <summary>Subtracted from the retention a HEAD reports, to stand for a server that keeps a shorter lock than asked.</summary>
    public TimeSpan ReportedShorterBy { get; init; }

    public override HttpClient CreateHttpClient(IClientConfig clientConfig) => new(new Handler(this));

    /// <summary>The simulating handler alone, in front of the real server: for a proxy that serves a child process.</summary>
    public HttpMessageHandler CreateHandler() => new Handler(this);

    public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => false;

    private sealed class Handler(ObjectLockHttpSimulator owner) : DelegatingHandler(new HttpClientHandler())
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var path = request.RequestUri!.AbsolutePath;
            if (request.Method == HttpMethod.Get && request.RequestUri.Query.Contains("object-lock", StringComparison.Ordinal))
            {
                return new HttpResponseMessage(System.Net.HttpStatusCode.OK)
                {
                    Content = new StringContent(
                        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ObjectLockConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><ObjectLockEnabled>Enabled</ObjectLockEnabled></ObjectLockConfiguration>",
                        Encoding.UTF8,
                        "application/xml"),
                };
            }

            if (request.Method == HttpMethod.Put && request.RequestUri.Query.Contains("retention", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref owner._retentionPuts);
                return await PutRetentionAsync(request, path, cancellationToken);
            }

            if (request.Headers.TryGetValues("x-amz-object-lock-retain-until-date", out var until))
            {
                var mode = request.Headers.GetValues("x-amz-object-lock-mode").Single();
                owner.Locks[path] = (mode, DateTimeOffset.Parse(until.Single(), CultureInfo.InvariantCulture));
            }

            if (request.Method == HttpMethod.Put && request.Content?.Headers.ContentMD5 is not null)
            {
                owner.ContentMd5Seen = true;
            }

            if (request.Method == HttpMethod.Head)
            {
                Interlocked.Increment(ref owner._heads);
            }

            var response = await base.SendAsync(request, cancellationToken);
            if (request.Method == HttpMethod.Head && owner.Locks.TryGetValue(path, out var held))
            {
                response.Headers.Add("x-amz-object-lock-mode", held.Mode);
                response.Headers.Add("x-amz-object-lock-retain-until-date", (held.Until - owner.ReportedShorterBy).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
                response.Headers.Add("x-amz-version-id", "v1");
            }

            return response;
        }

        private async Task<HttpResponseMessage> PutRetentionAsync(HttpRequestMessage request, string path, CancellationToken cancellationToken)
        {
            // Whether the object exists is the real server's to say; s3rver answers an unsigned HEAD.
            using var head = new HttpRequestMessage(HttpMethod.Head, new UriBuilder(request.RequestUri!) { Query = string.Empty }.Uri);
            using (var exists = await base.SendAsync(head, cancellationToken))
            {
                if (exists.StatusCode == System.Net.HttpStatusCode.NotFound)
                {
                    return Error(System.Net.HttpStatusCode.NotFound, "NoSuchKey", "The specified key does not exist.");
                }
            }

            var body = System.Xml.Linq.XDocument.Parse(await request.Content!.ReadAsStringAsync(cancellationToken));
            var mode = body.Descendants().Single(e => e.Name.LocalName == "Mode").Value;
            var asked = DateTimeOffset.Parse(body.Descendants().Single(e => e.Name.LocalName == "RetainUntilDate").Value, CultureInfo.InvariantCulture);
            var bypass = request.Headers.TryGetValues("x-amz-bypass-governance-retention", out var values) && values.Single() == "true";
            if (owner.Locks.TryGetValue(path, out var held) && held.Until > DateTimeOffset.UtcNow)
            {
                var shorter = asked < held.Until;
                var weaker = held.Mode == "COMPLIANCE" && mode != "COMPLIANCE";
                if ((shorter || weaker) && (held.Mode == "COMPLIANCE" || !bypass))
                {
                    return Error(System.Net.HttpStatusCode.Forbidden, "AccessDenied", "Access Denied");
                }
            }

            owner.Locks[path] = (mode, asked);
            return new HttpResponseMessage(System.Net.HttpStatusCode.OK) { Content = new StringContent(string.Empty) };
        }

        private static HttpResponseMessage Error(System.Net.HttpStatusCode status, string code, string message) => new(status)
        {
            Content = new StringContent($"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{message}</Message></Error>", Encoding.UTF8, "application/xml"),
        };
    }
}
