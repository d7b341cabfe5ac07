using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Backup.Extensions.DependencyInjection;

/// <summary>
/// Turns job outcomes into alerts (<see cref="BackupAlertOptions"/>): decides the alert outcome (Recovered after a
/// failure), applies the <c>On</c> list and the repeat interval, and delivers to every channel at once, each within
/// its timeout. Registered by <c>AddBackup</c>; with no channel configured it does nothing.
/// </summary>
internal sealed class BackupAlertDispatcher : IBackupNotificationSink
{
    private readonly BackupAlertOptions _options;
    private readonly IReadOnlySet<BackupAlertOutcome> _on;
    private readonly List<IBackupAlertChannel> _channels;
    private readonly AlertRateLimiter _limiter = new();
    private readonly AlertDelivery _delivery;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _host;

    // The alert outcome of each job's previous run, to tell a recovery (in memory: the first run after a restart is not one).
    private readonly Dictionary<string, BackupAlertOutcome> _previous = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _lock = new();

    public BackupAlertDispatcher(
        IOptions<BackupHostingOptions> options,
        AlertHttpClient http,
        IEnumerable<IBackupAlertChannel> channels,
        IServiceProvider services,
        TimeProvider time,
        ILogger<BackupAlertDispatcher> logger)
    {
        var hosting = options.Value;
        _options = hosting.Alerts;
        _on = _options.EffectiveOutcomes;
        _time = time;
        _logger = logger;
        _host = string.IsNullOrWhiteSpace(_options.Host) ? Environment.MachineName : _options.Host;
        _delivery = new AlertDelivery(_options, time, logger);

        var configuration = services.GetService<IConfiguration>();
        var all = new List<IBackupAlertChannel>();
        for (var i = 0; i < _options.Webhooks.Count; i++)
        {
            all.Add(new WebhookAlertChannel(http.Client, _options.Webhooks[i], $"{hosting.SectionPath}:Alerts:Webhooks:{i}", configuration, time));
        }

        all.AddRange(_options.Chat.Select(chat => new ChatAlertChannel(http.Client, chat)));
        if (_options.Email is not null && services.GetKeyedService<IBackupAlertChannel>(BackupAlertOptions.EmailChannelKey) is { } email)
        {
            all.Add(email);
        }

        all.AddRange(channels);
        _channels = all;
    }

    public Task NotifyAsync(BackupJobEvent jobEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(jobEvent);
        if (_channels.Count == 0 || jobEvent.Kind != BackupJobEventKind.Completed || jobEvent.Result is not { } result || Classify(result) is not { } ran)
        {
            return Task.CompletedTask;
        }

        BackupAlertOutcome outcome;
        lock (_lock)
        {
            var recovered = ran == BackupAlertOutcome.Succeeded && _previous.TryGetValue(result.JobName, out var previous) && previous != BackupAlertOutcome.Succeeded;
            _previous[result.JobName] = ran;
            outcome = recovered ? BackupAlertOutcome.Recovered : ran;
        }

        var wanted = outcome == BackupAlertOutcome.Recovered
            ? _on.Contains(BackupAlertOutcome.Recovered) || _on.Contains(BackupAlertOutcome.Succeeded)
            : _on.Contains(outcome);
        if (!wanted)
        {
            return Task.CompletedTask;
        }

        if (!_limiter.TryAcquire(result.JobName, outcome, _time.GetUtcNow(), _options.RepeatInterval, out var suppressed))
        {
            AlertLog.Suppressed(_logger, result.JobName, outcome, _options.RepeatInterval.TotalSeconds, suppressed);
            return Task.CompletedTask;
        }

        var alert = Create(result, outcome, jobEvent.Time, suppressed);
        return Task.WhenAll(_channels.Select(channel => _delivery.DeliverAsync(channel, alert, cancellationToken)));
    }

    private static BackupAlertOutcome? Classify(BackupJobResult result) => result.Outcome switch
    {
        BackupJobOutcome.Failed => BackupAlertOutcome.Failed,
        BackupJobOutcome.Partial => BackupAlertOutcome.Partial,
        BackupJobOutcome.Succeeded when result.CopyFailed || result.Verification?.Succeeded == false => BackupAlertOutcome.Degraded,
        BackupJobOutcome.Succeeded => BackupAlertOutcome.Succeeded,

        // A skipped run (the previous one still runs) or a cancelled one (shutdown) is not news.
        _ => null,
    };

    private BackupAlert Create(BackupJobResult result, BackupAlertOutcome outcome, DateTimeOffset endTime, int suppressed) => new()
    {
        Id = Guid.NewGuid().ToString("N"),
        JobName = result.JobName,
        Outcome = outcome,
        JobOutcome = result.Outcome,
        Host = _host,
        StartTime = result.StartTime,
        EndTime = endTime,
        SnapshotId = result.Snapshot?.Id.ToString(),
        Files = result.Snapshot?.Statistics.Files,
        BytesStored = result.Snapshot?.Statistics.BytesStored,
        Problems = result.Snapshot?.Statistics.Errors ?? 0,
        Error = Shorten(result.Error?.Message),
        Verification = Shorten(result.Verification?.Message),
        VerificationSucceeded = result.Verification?.Succeeded,
        FailedCopies = [.. result.Copies?.Where(c => !c.Succeeded).Select(c => c.Repository) ?? []],
        Suppressed = suppressed,
    };

    // A chat message or a subject line is no place for a stack of inner messages.
    private static string? Shorten(string? message) =>
        message is null ? null : message.Length <= 500 ? message : string.Concat(message.AsSpan(0, 499), "…");
}
