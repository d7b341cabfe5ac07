using System.Globalization;

namespace Backup.Extensions.DependencyInjection;

/// <summary>
/// Durations for people, as health checks and disaster-recovery reports write them: "4.5s", "2m 30s", "7h", "1d 12h".
/// TimeSpan's own formats ("8:0:00:00", "1.00:00:00") are for configuration files, not for an operator paged at night.
/// </summary>
internal static class DurationText
{
    public static string Format(TimeSpan value)
    {
        if (value < TimeSpan.Zero)
        {
            return "-" + Format(value.Negate());
        }

        if (value < TimeSpan.FromMinutes(1))
        {
            return value.TotalSeconds.ToString(value < TimeSpan.FromSeconds(10) ? "0.#" : "0", CultureInfo.InvariantCulture) + "s";
        }

        if (value < TimeSpan.FromHours(1))
        {
            return value.Seconds == 0 ? $"{value.Minutes}m" : $"{value.Minutes}m {value.Seconds}s";
        }

        if (value < TimeSpan.FromDays(1))
        {
            return value.Minutes == 0 ? $"{value.Hours}h" : $"{value.Hours}h {value.Minutes}m";
        }

        return value.Hours == 0 ? $"{(int)value.TotalDays}d" : $"{(int)value.TotalDays}d {value.Hours}h";
    }
}
