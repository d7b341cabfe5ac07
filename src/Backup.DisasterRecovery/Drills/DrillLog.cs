using Microsoft.Extensions.Logging;

namespace Backup.DisasterRecovery;

/// <summary>The drill runner's log messages (never a secret: no connection string, header value or password).</summary>
internal static partial class DrillLog
{
    [LoggerMessage(1, LogLevel.Information, "Drill of system {System} started ({Steps} steps)")]
    public static partial void DrillStarted(ILogger logger, string system, int steps);

    [LoggerMessage(2, LogLevel.Information, "Drill of system {System}: step '{Step}' {Outcome} in {Seconds:F1} s")]
    public static partial void StepFinished(ILogger logger, string system, string step, RecoveryStepOutcome outcome, double seconds);

    [LoggerMessage(3, LogLevel.Warning, "Drill of system {System}: step '{Step}' {Outcome}: {Error}")]
    public static partial void StepFailed(ILogger logger, string system, string step, RecoveryStepOutcome outcome, string? error);

    [LoggerMessage(4, LogLevel.Information, "Drill of system {System} finished: {Result}, achieved RTO {Rto}, achieved RPO {Rpo}")]
    public static partial void DrillFinished(ILogger logger, string system, string result, TimeSpan rto, TimeSpan? rpo);

    [LoggerMessage(5, LogLevel.Warning, "Drill of system {System}: could not make sure the scratch target {Target} is gone; if it exists, remove it by hand")]
    public static partial void CleanupFailed(ILogger logger, Exception exception, string system, string target);

    [LoggerMessage(6, LogLevel.Debug, "Drill of system {System}: removed {Target}")]
    public static partial void CleanedUp(ILogger logger, string system, string target);

    [LoggerMessage(7, LogLevel.Warning, "Drill of system {System}: the recovery server's roles: {Problem}")]
    public static partial void RecoveryServerRoles(ILogger logger, string system, string problem);
}
