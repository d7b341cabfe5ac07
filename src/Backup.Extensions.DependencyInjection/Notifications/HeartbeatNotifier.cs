using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Backup.Extensions.DependencyInjection;

/// <summary>
/// A dead-man's switch in the healthchecks.io style: for a job with a <see cref="BackupJobOptions.HeartbeatUrl"/>,
/// pings <c>{url}/start</c> when a run starts, <c>{url}</c> when it succeeds and <c>{url}/fail</c> when it fails or is
/// partial. A skipped or cancelled run sends nothing (the monitor's grace period covers it). Each ping has a timeout;
/// a failing ping is logged, never thrown.
/// </summary>
public sealed class HeartbeatNotifier : IBackupNotificationSink
{
    private readonly HttpClient _client;
    private readonly BackupHostingOptions _options;
    private readonly ILogger _logger;

    /// <summary>Pings through <paramref name="client"/> (from IHttpClientFactory or shared; not disposed here).</summary>
    public HeartbeatNotifier(HttpClient client, IOptions<BackupHostingOptions> options, ILogger<HeartbeatNotifier> logger)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        _client = client;
        _options = options.Value;
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
    }

    /// <inheritdoc/>
    public async Task NotifyAsync(BackupJobEvent jobEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(jobEvent);
        if (!_options.Jobs.TryGetValue(jobEvent.JobName, out var job) || job.HeartbeatUrl is null)
        {
            return;
        }

        string? suffix = jobEvent.Kind == BackupJobEventKind.Started ? "/start" : jobEvent.Result?.Outcome switch
        {
            BackupJobOutcome.Succeeded when jobEvent.Result.CopyFailed => "/fail",
            BackupJobOutcome.Succeeded => string.Empty,
            BackupJobOutcome.Failed or BackupJobOutcome.Partial => "/fail",
            _ => null,
        };
        if (suffix is null)
        {
            return;
        }

        var url = new Uri(job.HeartbeatUrl.AbsoluteUri.TrimEnd('/') + suffix);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.Heartbeat.Timeout);
        try
        {
            using var request = new HttpRequestMessage(_options.Heartbeat.UsePost ? HttpMethod.Post : HttpMethod.Get, url);
            if (_options.Heartbeat.UsePost)
            {
                request.Content = new StringContent(Describe(jobEvent), Encoding.UTF8, "text/plain");
            }

            using var response = await _client.SendAsync(request, timeout.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                Log.HeartbeatFailed(_logger, jobEvent.JobName, $"HTTP {(int)response.StatusCode}");
            }
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            Log.HeartbeatFailed(_logger, jobEvent.JobName, e.Message);
        }
    }

    private static string Describe(BackupJobEvent jobEvent) => jobEvent.Result is { } result
        ? $"{result.JobName}: {result.Outcome} in {result.Duration.TotalSeconds:F1} s{(result.Error is null ? string.Empty : ": " + result.Error.Message)}"
            + (result.CopyFailed ? "; copy failed to " + string.Join(", ", result.Copies!.Where(c => !c.Succeeded).Select(c => c.Repository)) : string.Empty)
        : $"{jobEvent.JobName}: started";
}
