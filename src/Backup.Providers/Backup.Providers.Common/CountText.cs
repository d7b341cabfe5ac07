using System.Globalization;

namespace Backup.Providers;

/// <summary>A count with its noun in the right number ("1 row", "3 rows"), for what verification reports tell operators.</summary>
internal static class CountText
{
    public static string Of(long count, string singular, string plural) =>
        string.Create(CultureInfo.InvariantCulture, $"{count} {(count == 1 ? singular : plural)}");
}
