namespace Backup.Extensions.DependencyInjection;

/// <summary>
/// A generic JSON webhook (<c>Backup:Alerts:Webhooks:N</c>): each alert is POSTed as a JSON body. With a secret
/// (set at most one of <see cref="SecretFile"/>, <see cref="SecretEnvironmentVariable"/>,
/// <see cref="SecretConfigurationKey"/>) the request carries <c>X-Backup-Signature: t=&lt;unix seconds&gt;,sha256=&lt;hex&gt;</c>,
/// an HMAC-SHA256 of <c>"&lt;t&gt;.&lt;body&gt;"</c>.
/// </summary>
public sealed class WebhookAlertOptions
{
    /// <summary>The https URL to POST to (http only to a loopback address, or with <see cref="AllowInsecureHttp"/>).</summary>
    public Uri? Url { get; set; }

    /// <summary>Allows an http:// URL to a host other than loopback (the alert and its signature travel in clear text).</summary>
    public bool AllowInsecureHttp { get; set; }

    /// <summary>A file holding the HMAC secret (surrounding whitespace and the final newline are ignored).</summary>
    public string? SecretFile { get; set; }

    /// <summary>An environment variable holding the HMAC secret.</summary>
    public string? SecretEnvironmentVariable { get; set; }

    /// <summary>A configuration key holding the HMAC secret (e.g. fed by a secret store).</summary>
    public string? SecretConfigurationKey { get; set; }
}
