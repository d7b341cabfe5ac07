namespace Backup.DisasterRecovery;

/// <summary>
/// The HttpClient drills call endpoints with, disposed with the container. It has no timeout of its own: each step's
/// timeout cancels its requests.
/// </summary>
internal sealed class DrillHttpClient : IDisposable
{
    /// <summary>A client owned by this holder.</summary>
    public DrillHttpClient()
        : this(new HttpClient { Timeout = Timeout.InfiniteTimeSpan }, ownsClient: true)
    {
    }

    /// <summary>Wraps <paramref name="client"/> (tests, or a host's configured client).</summary>
    public DrillHttpClient(HttpClient client, bool ownsClient)
    {
        Client = client;
        _ownsClient = ownsClient;
    }

    private readonly bool _ownsClient;

    /// <summary>The client.</summary>
    public HttpClient Client { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsClient)
        {
            Client.Dispose();
        }
    }
}
