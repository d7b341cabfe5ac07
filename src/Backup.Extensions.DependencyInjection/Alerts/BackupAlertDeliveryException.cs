namespace Backup.Extensions.DependencyInjection;

/// <summary>An alert could not be delivered. The message is logged, so it must not contain a secret or a token-bearing URL.</summary>
public sealed class BackupAlertDeliveryException : Exception
{
    /// <summary>Creates the exception.</summary>
    public BackupAlertDeliveryException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public BackupAlertDeliveryException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public BackupAlertDeliveryException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception, saying whether trying again may help.</summary>
    public BackupAlertDeliveryException(string message, bool isTransient, Exception? innerException = null)
        : base(message, innerException) => IsTransient = isTransient;

    /// <summary>Whether trying again may help (a refused connection, HTTP 5xx or 429); false for a rejected request or bad credentials.</summary>
    public bool IsTransient { get; } = true;
}
