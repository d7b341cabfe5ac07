using Microsoft.Extensions.Logging;

namespace Backup.Providers.PostgreSql;

/// <summary>Log messages (source-generated: no formatting cost when the level is off). Never with passwords or connection strings.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "PostgreSQL {Version} at {Endpoint}: pinned {Count} database(s) for backup")]
    public static partial void Pinned(ILogger logger, string version, string endpoint, int count);

    [LoggerMessage(2, LogLevel.Debug, "Running {Tool} for {Database}")]
    public static partial void Running(ILogger logger, string tool, string database);

    [LoggerMessage(3, LogLevel.Warning, "{Tool} for {Database} reported: {Stderr}")]
    public static partial void ToolWarning(ILogger logger, string tool, string database, string stderr);

    [LoggerMessage(4, LogLevel.Information, "Restored {Database} into {Target} in {Seconds:F1} s")]
    public static partial void Restored(ILogger logger, string database, string target, double seconds);

    [LoggerMessage(5, LogLevel.Warning, "Database {Database} cannot be backed up with the parallel method ({Reason}); the snapshot is taken with pg_dump instead")]
    public static partial void ParallelFallback(ILogger logger, string database, string reason);

    [LoggerMessage(6, LogLevel.Warning, "Materialized views of {Target} left empty ({Reason}): the snapshot predates the record of which views held rows; REFRESH MATERIALIZED VIEW fills them")]
    public static partial void ViewsLeftEmpty(ILogger logger, string target, string reason);

    [LoggerMessage(7, LogLevel.Warning, "The restore into {Target} failed or was interrupted. {State}")]
    public static partial void RestoreFailed(ILogger logger, string target, string state);

    [LoggerMessage(8, LogLevel.Warning, "The values the dump of {Database} sets for sequences {Sequences} were not read ({Reason}): their checksums are those measured when it was pinned, so a drill may report them as differing if the database was written to during the backup")]
    public static partial void SequenceValuesUnread(ILogger logger, string database, string reason, string sequences);

    [LoggerMessage(9, LogLevel.Information, "Verified the restore into {Target}: {Tables} table(s) compared with the checksums recorded at backup time, {Mismatches} differ")]
    public static partial void RestoreVerified(ILogger logger, string target, int tables, int mismatches);
}
