namespace Backup.Core.Pipeline;

/// <summary>
/// What lets a backup a source refused go ahead (<see cref="BackupSourceException.Remedy"/>), as data, so that a tool
/// can say it in its own options rather than in the library's names.
/// </summary>
public enum BackupSourceRemedy
{
    /// <summary>Nothing about how the source is read.</summary>
    None,

    /// <summary>
    /// Back up with the engine's client tools (its dump tool) instead of through the driver alone: what the source
    /// holds is beyond what a driver-only backup covers.
    /// </summary>
    UseClientTools,
}
