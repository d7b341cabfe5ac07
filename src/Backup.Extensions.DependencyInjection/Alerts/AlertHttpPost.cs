using System.Net;
using System.Net.Http.Headers;

namespace Backup.Extensions.DependencyInjection;

/// <summary>One JSON POST of an alert, with errors classified for the retry and worded without the URL's path or query.</summary>
internal static class AlertHttpPost
{
    private static readonly MediaTypeHeaderValue Json = new("application/json") { CharSet = "utf-8" };

    public static async Task SendAsync(HttpClient client, Uri url, byte[] body, Action<HttpRequestMessage>? decorate, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = Json;
        request.Headers.UserAgent.ParseAdd("Backup-Alerts/1");
        decorate?.Invoke(request);
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new BackupAlertDeliveryException(AlertUrl.Scrub(e.Message, url), isTransient: true);
        }

        using (response)
        {
            if (response.IsSuccessStatusCode)
            {
                return;
            }

            var status = (int)response.StatusCode;

            // Throttled, timed out or a server error may pass; any other refusal (a revoked token: 403/404) will not.
            var transient = status >= 500 || response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout;
            throw new BackupAlertDeliveryException($"HTTP {status} ({response.ReasonPhrase})", transient);
        }
    }
}
