using System.Net;

namespace Backup.Extensions.DependencyInjection;

/// <summary>Rules for alert URLs: what may be logged of them and which are safe to send to.</summary>
internal static class AlertUrl
{
    /// <summary>Scheme, host and port only: webhook URLs carry their token in the path or query.</summary>
    public static string Redact(Uri url) => url.IsAbsoluteUri ? url.GetLeftPart(UriPartial.Authority).Replace(url.UserInfo + "@", string.Empty, StringComparison.Ordinal) : "(relative URL)";

    /// <summary>Null when <paramref name="url"/> may be used, else what is wrong with it.</summary>
    public static string? Problem(Uri? url, bool allowInsecureHttp)
    {
        if (url is null)
        {
            return "is required.";
        }

        if (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp))
        {
            return "must be an absolute https URL.";
        }

        if (!string.IsNullOrEmpty(url.UserInfo))
        {
            return "must not contain a user name or password; use the URL's own token or a signing secret.";
        }

        if (url.Scheme == Uri.UriSchemeHttp && !allowInsecureHttp && !IsLoopback(url))
        {
            return $"http:// to {url.Host} sends alerts in clear text; use https, or set AllowInsecureHttp to true.";
        }

        return null;
    }

    private static bool IsLoopback(Uri url) =>
        url.IsLoopback || (IPAddress.TryParse(url.DnsSafeHost, out var address) && IPAddress.IsLoopback(address));

    /// <summary>Replaces the full URL in a message (an HttpRequestException may quote it) with its redacted form.</summary>
    public static string Scrub(string message, Uri url) =>
        message.Replace(url.OriginalString, Redact(url), StringComparison.OrdinalIgnoreCase)
            .Replace(url.AbsoluteUri, Redact(url), StringComparison.OrdinalIgnoreCase);
}
