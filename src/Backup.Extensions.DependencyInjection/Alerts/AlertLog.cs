using Microsoft.Extensions.Logging;

namespace Backup.Extensions.DependencyInjection;

/// <summary>Alert log messages. Channels are named by <see cref="IBackupAlertChannel.Name"/> (no URL path, query or secret).</summary>
internal static partial class AlertLog
{
    [LoggerMessage(80, LogLevel.Information, "Backup job {Job}: {Outcome} alert sent to {Channel} (attempt {Attempt})")]
    public static partial void Sent(ILogger logger, string job, BackupAlertOutcome outcome, string channel, int attempt);

    [LoggerMessage(81, LogLevel.Information, "Backup job {Job}: {Outcome} alert to {Channel} failed on attempt {Attempt} of {Attempts} ({Error}); retrying in {DelaySeconds:F1} s")]
    public static partial void Retrying(ILogger logger, string job, BackupAlertOutcome outcome, string channel, int attempt, int attempts, string error, double delaySeconds);

    [LoggerMessage(82, LogLevel.Warning, "Backup job {Job}: {Outcome} alert to {Channel} failed after {Attempt} attempts: {Error}")]
    public static partial void Failed(ILogger logger, string job, BackupAlertOutcome outcome, string channel, int attempt, string error);

    [LoggerMessage(83, LogLevel.Warning, "Backup job {Job}: {Outcome} alert to {Channel} abandoned after {TimeoutSeconds:F0} s (attempt {Attempt}); the backup goes on")]
    public static partial void TimedOut(ILogger logger, string job, BackupAlertOutcome outcome, string channel, double timeoutSeconds, int attempt);

    [LoggerMessage(84, LogLevel.Debug, "Backup job {Job}: {Outcome} alert suppressed (one was sent less than {IntervalSeconds:F0} s ago; {Suppressed} suppressed since)")]
    public static partial void Suppressed(ILogger logger, string job, BackupAlertOutcome outcome, double intervalSeconds, int suppressed);
}
