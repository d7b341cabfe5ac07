namespace Backup.Core.Storage;

/// <summary>
/// A repository location or one of its target settings is missing or wrong. The message names the setting (and the
/// environment variable it may come from), never its value when that could be a secret.
/// </summary>
public class TargetConfigurationException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    public TargetConfigurationException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public TargetConfigurationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public TargetConfigurationException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception about the setting called <paramref name="setting"/>.</summary>
    public TargetConfigurationException(string message, string? setting, Exception? innerException = null)
        : base(message, innerException) => Setting = setting;

    /// <summary>The name of the setting that is wrong (such as "Endpoint"), or null when the location itself is.</summary>
    public string? Setting { get; }
}
