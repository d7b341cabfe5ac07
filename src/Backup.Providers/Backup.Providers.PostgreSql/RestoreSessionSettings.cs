using System.Globalization;

namespace Backup.Providers.PostgreSql;

/// <summary>
/// Session settings for the pg_restore runs of a restore, passed through PGOPTIONS (never on a command line).
/// Today one: <c>maintenance_work_mem</c>, raised for the index and key builds when the server's is lower than
/// <see cref="PostgreSqlRestoreOptions.MaintenanceWorkMemMegabytes"/> (a server tuned higher keeps its setting).
/// </summary>
internal static class RestoreSessionSettings
{
    /// <summary>The server's maintenance_work_mem in kB, as pg_settings gives it.</summary>
    public const string ServerSettingQuery = "SELECT setting::bigint FROM pg_catalog.pg_settings WHERE name = 'maintenance_work_mem'";

    /// <summary>
    /// PGOPTIONS for the restore's pg_restore runs: <paramref name="inherited"/> (the caller's PGOPTIONS, kept) plus
    /// <c>-c maintenance_work_mem=…</c> when <paramref name="wantedMegabytes"/> is above <paramref name="serverKilobytes"/>;
    /// null when there is nothing to set.
    /// </summary>
    public static string? PgOptions(int? wantedMegabytes, long serverKilobytes, string? inherited)
    {
        var raise = wantedMegabytes is { } wanted && wanted * 1024L > serverKilobytes;
        if (!raise)
        {
            return null;
        }

        var setting = string.Create(CultureInfo.InvariantCulture, $"-c maintenance_work_mem={wantedMegabytes}MB");
        return string.IsNullOrWhiteSpace(inherited) ? setting : $"{inherited} {setting}";
    }
}
