using Microsoft.Extensions.Logging;

namespace Backup.Extensions.DependencyInjection;

/// <summary>
/// Delivers one alert on one channel: bounded attempts with doubling delays, each attempt bounded by
/// <see cref="BackupAlertOptions.AttemptTimeout"/> and all of them together by <see cref="BackupAlertOptions.Timeout"/>
/// (so an alert never holds up the job longer). Never throws: the outcome is logged.
/// </summary>
internal sealed class AlertDelivery(BackupAlertOptions options, TimeProvider time, ILogger logger)
{
    // A retry never waits longer than this, whatever doubling reaches.
    private static readonly TimeSpan MaxDelay = TimeSpan.FromMinutes(1);

    private enum Attempt
    {
        Sent,
        Transient,
        Permanent,
        OutOfTime,
    }

    public async Task DeliverAsync(IBackupAlertChannel channel, BackupAlert alert, CancellationToken cancellationToken)
    {
        using var overall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var deadline = new CancellationTokenSource(options.Timeout, time);
        using var registration = deadline.Token.Register(static state => ((CancellationTokenSource)state!).Cancel(), overall);
        var delay = options.RetryDelay;
        var attempts = Math.Max(1, options.Attempts);
        for (var attempt = 1; ; attempt++)
        {
            var (result, error) = await AttemptAsync(channel, alert, overall.Token).ConfigureAwait(false);
            switch (result)
            {
                case Attempt.Sent:
                    AlertLog.Sent(logger, alert.JobName, alert.Outcome, channel.Name, attempt);
                    return;
                case Attempt.OutOfTime:
                    AlertLog.TimedOut(logger, alert.JobName, alert.Outcome, channel.Name, options.Timeout.TotalSeconds, attempt);
                    return;
                case Attempt.Permanent:
                case Attempt.Transient when attempt >= attempts:
                    AlertLog.Failed(logger, alert.JobName, alert.Outcome, channel.Name, attempt, error);
                    return;
            }

            AlertLog.Retrying(logger, alert.JobName, alert.Outcome, channel.Name, attempt, attempts, error, delay.TotalSeconds);
            try
            {
                await Task.Delay(delay, time, overall.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                AlertLog.TimedOut(logger, alert.JobName, alert.Outcome, channel.Name, options.Timeout.TotalSeconds, attempt);
                return;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxDelay.Ticks));
        }
    }

    private async Task<(Attempt Result, string Error)> AttemptAsync(IBackupAlertChannel channel, BackupAlert alert, CancellationToken overall)
    {
        using var attemptTimeout = new CancellationTokenSource(options.AttemptTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(overall, attemptTimeout.Token);
        try
        {
            await channel.SendAsync(alert, linked.Token).ConfigureAwait(false);
            return (Attempt.Sent, string.Empty);
        }
        catch (OperationCanceledException) when (overall.IsCancellationRequested)
        {
            return (Attempt.OutOfTime, string.Empty);
        }
        catch (OperationCanceledException) when (attemptTimeout.IsCancellationRequested)
        {
            return (Attempt.Transient, $"no answer within {options.AttemptTimeout.TotalSeconds:F1} s");
        }
        catch (BackupAlertDeliveryException e)
        {
            return (e.IsTransient ? Attempt.Transient : Attempt.Permanent, e.Message);
        }
        catch (Exception e)
        {
            // Any channel's failure is the channel's: it is retried and logged, never passed to the job.
            return (Attempt.Transient, e.Message);
        }
    }
}
