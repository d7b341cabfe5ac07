using System.Globalization;

namespace Backup.DisasterRecovery;

/// <summary>A count with its noun in the right number ("1 file", "3 files"), for what drills tell operators.</summary>
internal static class CountText
{
    public static string Of(long count, string singular, string plural) =>
        string.Create(CultureInfo.InvariantCulture, $"{count} {(count == 1 ? singular : plural)}");
}
