using Microsoft.Extensions.Logging;

namespace Backup.Providers.MySql;

/// <summary>Log messages (source-generated). Never with passwords or connection strings.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "{Server} {Version} at {Endpoint}: started {Count} dump(s) from one consistent point")]
    public static partial void Started(ILogger logger, string server, string version, string endpoint, int count);

    [LoggerMessage(2, LogLevel.Warning, "No RELOAD privilege for FLUSH TABLES WITH READ LOCK: checksums come from a snapshot taken just before the dump's, not the same one")]
    public static partial void NoGlobalLock(ILogger logger);

    [LoggerMessage(3, LogLevel.Warning, "{Tool} for {Database} reported: {Stderr}")]
    public static partial void ToolWarning(ILogger logger, string tool, string database, string stderr);

    [LoggerMessage(4, LogLevel.Information, "Restored {Database} into {Target} in {Seconds:F1} s")]
    public static partial void Restored(ILogger logger, string database, string target, double seconds);

    [LoggerMessage(5, LogLevel.Warning, "No RELOAD privilege for FLUSH TABLES WITH READ LOCK: the tables are read on one connection instead of {Jobs}, so that they all come from one snapshot")]
    public static partial void NoParallelSnapshot(ILogger logger, int jobs);

    [LoggerMessage(6, LogLevel.Information, "{Server} {Version} at {Endpoint}: reading {Tables} table(s) of {Count} database(s) on {Connections} connection(s) in one snapshot")]
    public static partial void StartedParallel(ILogger logger, string server, string version, string endpoint, int tables, int count, int connections);

    [LoggerMessage(7, LogLevel.Warning, "The restore into {Target} failed or was interrupted. {State}")]
    public static partial void RestoreFailed(ILogger logger, string target, string state);

    [LoggerMessage(8, LogLevel.Warning, "The backup user may not read the grant tables ({Refusal}): the accounts each database needs are not recorded, so a check of a recovery server for them will say they are unknown. Grant it SELECT on mysql.db, mysql.tables_priv, mysql.columns_priv, mysql.procs_priv and mysql.roles_mapping (MariaDB) or mysql.role_edges (MySQL) to record them")]
    public static partial void GrantTablesUnreadable(ILogger logger, string refusal);

    [LoggerMessage(9, LogLevel.Information, "Verified the restore into {Target}: {Tables} table(s) compared with the checksums recorded at backup time, {Mismatches} differ")]
    public static partial void RestoreVerified(ILogger logger, string target, int tables, int mismatches);
}
