using System.Globalization;

namespace Backup.Cli;

/// <summary>Human formatting of sizes, times and rates.</summary>
internal static class Format
{
    private static readonly string[] Units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

    public static string Bytes(long bytes)
    {
        double value = bytes;
        var unit = 0;
        while (Math.Abs(value) >= 1024 && unit < Units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0 ? $"{bytes} B" : string.Create(CultureInfo.InvariantCulture, $"{value:0.0} {Units[unit]}");
    }

    /// <summary>"1 file", "2 files": <paramref name="count"/> with the noun in the number it takes.</summary>
    public static string Count(long count, string singular, string plural) =>
        string.Create(CultureInfo.InvariantCulture, $"{count} {(count == 1 ? singular : plural)}");

    public static string Time(DateTimeOffset time) => time.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    public static string Duration(TimeSpan duration) => duration.TotalHours >= 1
        ? string.Create(CultureInfo.InvariantCulture, $"{(int)duration.TotalHours}:{duration:mm\\:ss}")
        : string.Create(CultureInfo.InvariantCulture, $"{duration:m\\:ss}");

    public static string Seconds(TimeSpan duration) => string.Create(CultureInfo.InvariantCulture, $"{duration.TotalSeconds:0.00}s");

    public static string Rate(long bytes, TimeSpan elapsed) =>
        elapsed.TotalSeconds < 0.01 ? "-" : Bytes((long)(bytes / elapsed.TotalSeconds)) + "/s";

    /// <summary>The rate, or words saying it was too quick to measure: a summary line is read once, so a bare "-" would leave the reader guessing.</summary>
    public static string RateOrTooQuick(long bytes, TimeSpan elapsed) =>
        elapsed.TotalSeconds < 0.01 ? "too quick to measure a rate" : Rate(bytes, elapsed);
}
