namespace Backup.Extensions.DependencyInjection;

/// <summary>The alert channels' own HttpClient, disposed with the container (attempt timeouts are per request, not here).</summary>
internal sealed class AlertHttpClient : IDisposable
{
    public HttpClient Client { get; } = new() { Timeout = System.Threading.Timeout.InfiniteTimeSpan };

    public void Dispose() => Client.Dispose();
}
