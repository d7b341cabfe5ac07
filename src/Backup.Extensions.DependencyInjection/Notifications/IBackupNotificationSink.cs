namespace Backup.Extensions.DependencyInjection;

/// <summary>
/// Receives every job start and outcome (register any number with <see cref="BackupBuilder.AddNotificationSink{TSink}"/>).
/// A sink that throws is logged and ignored: notifications never fail a backup.
/// </summary>
public interface IBackupNotificationSink
{
    /// <summary>Handles one event.</summary>
    Task NotifyAsync(BackupJobEvent jobEvent, CancellationToken cancellationToken = default);
}
