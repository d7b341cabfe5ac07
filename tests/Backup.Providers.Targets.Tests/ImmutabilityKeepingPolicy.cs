using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Backup.Providers.Targets.Tests;

/// <summary>
/// Stands in for Azure version-level immutability, which Azurite does not keep, in the real SDK pipeline: records the
/// immutability headers of each upload (and strips them, so Azurite stores a plain blob), and answers Get Blob
/// Properties of a recorded blob with that policy and Get Container Properties with version-level immutability on,
/// as the service does for a container set up for it. Set Blob Immutability Policy (PUT ?comp=immutabilityPolicies),
/// which Azurite lacks, is answered with the service's rules: a missing blob is 404; a locked policy is never shortened
/// or unlocked (409); an unlocked one may be changed either way. Everything else goes to Azurite.
/// </summary>
internal sealed class ImmutabilityKeepingPolicy : HttpPipelinePolicy
{
    private const string UntilHeader = "x-ms-immutability-policy-until-date";
    private const string ModeHeader = "x-ms-immutability-policy-mode";
    private int _heads;
    private int _policySets;

    /// <summary>Set Blob Immutability Policy requests seen, refused ones included.</summary>
    public int PolicySets => Volatile.Read(ref _policySets);

    public ConcurrentDictionary<string, (DateTimeOffset Until, string Mode)> Kept { get; } = new(StringComparer.Ordinal);

    /// <summary>HEAD requests seen: the read-back of a policy costs one.</summary>
    public int Heads => Volatile.Read(ref _heads);

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        if (message.Request.Method == RequestMethod.Put && message.Request.Uri.Query.Contains("comp=immutabilityPolicies", StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _policySets);
            message.Request.Headers.TryGetValue(UntilHeader, out var untilText);
            message.Request.Headers.TryGetValue(ModeHeader, out var asked);
            message.Request.Headers.Remove(UntilHeader);
            message.Request.Headers.Remove(ModeHeader);

            // Whether the blob exists is Azurite's to say: the request goes on as Get Blob Properties.
            message.Request.Method = RequestMethod.Head;
            message.Request.Uri.Query = string.Empty;
            await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
            SetPolicy(message, DateTimeOffset.Parse(untilText!, CultureInfo.InvariantCulture), asked ?? "Unlocked");
            return;
        }

        Record(message);
        await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
        Answer(message);
    }

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Record(message);
        ProcessNext(message, pipeline);
        Answer(message);
    }

    private void SetPolicy(HttpMessage message, DateTimeOffset until, string mode)
    {
        if (message.Response.Status != 200)
        {
            return;
        }

        var path = message.Request.Uri.Path;
        if (Kept.TryGetValue(path, out var held) && held.Mode == "Locked" && held.Until > DateTimeOffset.UtcNow && (until < held.Until || mode != "Locked"))
        {
            message.Response = new WithHeaders(message.Response, new() { ["x-ms-error-code"] = "ImmutabilityPolicyCannotBeShortened" }, status: 409);
            return;
        }

        Kept[path] = (until, mode);
        message.Response = new WithHeaders(message.Response, new()
        {
            [UntilHeader] = until.ToString("R", CultureInfo.InvariantCulture),
            [ModeHeader] = mode,
        });
    }

    private void Record(HttpMessage message)
    {
        if (message.Request.Headers.TryGetValue(UntilHeader, out var until))
        {
            message.Request.Headers.TryGetValue(ModeHeader, out var mode);
            Kept[message.Request.Uri.Path] = (DateTimeOffset.Parse(until, CultureInfo.InvariantCulture), mode ?? "Unlocked");
            message.Request.Headers.Remove(UntilHeader);
            message.Request.Headers.Remove(ModeHeader);
        }

        if (message.Request.Method == RequestMethod.Head)
        {
            Interlocked.Increment(ref _heads);
        }
    }

    private void Answer(HttpMessage message)
    {
        if (message.Response.Status != 200)
        {
            return;
        }

        // Get Container Properties is a GET (or HEAD) of ?restype=container; Get Blob Properties a HEAD of the blob.
        var query = message.Request.Uri.Query;
        if (query.Contains("restype=container", StringComparison.Ordinal) && !query.Contains("comp=", StringComparison.Ordinal))
        {
            message.Response = new WithHeaders(message.Response, new() { ["x-ms-immutable-storage-with-versioning-enabled"] = "true" });
        }
        else if (message.Request.Method == RequestMethod.Head && Kept.TryGetValue(message.Request.Uri.Path, out var kept))
        {
            message.Response = new WithHeaders(message.Response, new()
            {
                [UntilHeader] = kept.Until.ToString("R", CultureInfo.InvariantCulture),
                [ModeHeader] = kept.Mode,
            });
        }
    }

    /// <summary>A response with headers added, as the service would send them.</summary>
    private sealed class WithHeaders(Response inner, Dictionary<string, string> headers, int? status = null) : Response
    {
        private readonly Dictionary<string, string> _added = new(headers, StringComparer.OrdinalIgnoreCase);

        public override int Status => status ?? inner.Status;

        public override string ReasonPhrase => inner.ReasonPhrase;

        public override Stream? ContentStream { get => inner.ContentStream; set => inner.ContentStream = value; }

        public override string ClientRequestId { get => inner.ClientRequestId; set => inner.ClientRequestId = value; }

        public override void Dispose() => inner.Dispose();

        protected override bool ContainsHeader(string name) => _added.ContainsKey(name) || inner.Headers.Contains(name);

        protected override IEnumerable<HttpHeader> EnumerateHeaders() =>
            inner.Headers.Where(h => !_added.ContainsKey(h.Name)).Concat(_added.Select(a => new HttpHeader(a.Key, a.Value)));

        protected override bool TryGetHeader(string name, [NotNullWhen(true)] out string? value) =>
            _added.TryGetValue(name, out value) || inner.Headers.TryGetValue(name, out value);

        protected override bool TryGetHeaderValues(string name, [NotNullWhen(true)] out IEnumerable<string>? values)
        {
            if (_added.TryGetValue(name, out var value))
            {
                values = [value];
                return true;
            }

            return inner.Headers.TryGetValues(name, out values);
        }
    }
}
