using Microsoft.Extensions.Logging;

namespace Backup.Providers.Sqlite;

/// <summary>Log messages (source-generated).</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Copied SQLite database {Path} ({Bytes} bytes) with the online backup API")]
    public static partial void Copied(ILogger logger, string path, long bytes);

    [LoggerMessage(2, LogLevel.Information, "Restored SQLite database into {Path} in {Seconds:F1} s")]
    public static partial void Restored(ILogger logger, string path, double seconds);

    [LoggerMessage(3, LogLevel.Information, "Verified the restore into {Target}: {Tables} table(s) compared with the checksums recorded at backup time, {Mismatches} differ")]
    public static partial void RestoreVerified(ILogger logger, string target, int tables, int mismatches);
}
