namespace Backup.Core.Storage.Locations;

/// <summary>
/// A target would send requests (and credentials) in clear to another machine, and
/// <see cref="TargetCreateOptions.AllowInsecureHttp"/> was not given.
/// </summary>
public sealed class InsecureTransportException : TargetConfigurationException
{
    /// <summary>Creates the exception.</summary>
    public InsecureTransportException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public InsecureTransportException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public InsecureTransportException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception about the setting called <paramref name="setting"/>.</summary>
    public InsecureTransportException(string message, string? setting)
        : base(message, setting)
    {
    }
}
