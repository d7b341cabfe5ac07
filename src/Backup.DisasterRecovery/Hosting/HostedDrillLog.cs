using Microsoft.Extensions.Logging;

namespace Backup.DisasterRecovery;

/// <summary>Source-generated log messages of the hosted drills.</summary>
internal static partial class HostedDrillLog
{
    [LoggerMessage(1900, LogLevel.Information, "Disaster-recovery drill of {System} scheduled for {Next:O}")]
    public static partial void DrillScheduled(ILogger logger, string system, DateTimeOffset next);

    [LoggerMessage(1901, LogLevel.Information, "Disaster-recovery drill of {System} succeeded: RTO {RtoSeconds:F1} s, RPO {RpoSeconds} s")]
    public static partial void DrillSucceeded(ILogger logger, string system, double rtoSeconds, double? rpoSeconds);

    [LoggerMessage(1902, LogLevel.Warning, "Disaster-recovery drill of {System} failed at step {Step}: {Error}")]
    public static partial void DrillFailed(ILogger logger, string system, string? step, string? error);

    [LoggerMessage(1903, LogLevel.Error, "Disaster-recovery drill of {System} could not run")]
    public static partial void DrillError(ILogger logger, string system, Exception exception);

    [LoggerMessage(1904, LogLevel.Warning, "Disaster-recovery drill history of {System} cannot be read: {Reason}")]
    public static partial void HistoryUnreadable(ILogger logger, string system, string reason);

    [LoggerMessage(1905, LogLevel.Information, "Disaster-recovery drill of {System}: the newest stored drill, started {Stored:O}, is dated after the clock ({Now:O}), which is behind (set back, or not yet synchronised); the occurrence at {Occurrence:O} was drilled already and is not drilled again")]
    public static partial void StoredDrillAheadOfClock(ILogger logger, string system, DateTimeOffset stored, DateTimeOffset now, DateTimeOffset occurrence);

    [LoggerMessage(1906, LogLevel.Warning, "Disaster-recovery drill of {System}: the newest stored drill is dated {Stored:O}, more than one interval of the schedule after the clock ({Now:O}); taking the clock as right (it was ahead when that drill ran), the next drill is the clock's next occurrence. If the clock is behind instead, correct it")]
    public static partial void StoredDrillFarAhead(ILogger logger, string system, DateTimeOffset stored, DateTimeOffset now);
}
