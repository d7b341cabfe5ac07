namespace Backup.Extensions.DependencyInjection;

/// <summary>
/// Delivers alerts somewhere (a webhook, a chat, email). Register one as a singleton
/// <c>IBackupAlertChannel</c> to receive every alert that passes the <c>On</c> list and the repeat interval; the
/// dispatcher retries, times out and logs each delivery, so a channel makes one attempt and throws on failure
/// (<see cref="BackupAlertDeliveryException"/> with <see cref="BackupAlertDeliveryException.IsTransient"/> false when
/// trying again cannot help; any other exception is retried).
/// </summary>
public interface IBackupAlertChannel
{
    /// <summary>Names the channel in logs without secrets, e.g. <c>webhook https://hooks.example.com</c> (no path or query).</summary>
    string Name { get; }

    /// <summary>Makes one attempt to deliver <paramref name="alert"/>; honours <paramref name="cancellationToken"/> (the attempt's timeout).</summary>
    Task SendAsync(BackupAlert alert, CancellationToken cancellationToken);
}
