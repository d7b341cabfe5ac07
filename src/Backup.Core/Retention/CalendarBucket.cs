using System.Globalization;

namespace Backup.Core.Retention;

/// <summary>The calendar periods that bucket rules count.</summary>
internal enum CalendarUnit
{
    Hour,
    Day,
    Week,
    Month,
    Year,
}

/// <summary>
/// Names the calendar bucket an instant falls into, in one explicit time zone. The name is both the bucket's
/// identity and the label shown in reasons, so two instants share a bucket exactly when their labels are equal.
/// </summary>
internal static class CalendarBucket
{
    /// <summary>The label of the <paramref name="unit"/> that holds <paramref name="time"/> in <paramref name="zone"/>.</summary>
    /// <remarks>
    /// Days, weeks, months and years use the local calendar date, so a 23- or 25-hour DST day is still one day.
    /// Hours carry the local offset: when clocks go back, 02:00–03:00 happens twice, and those are two real hours
    /// (two buckets), not one bucket spanning two hours.
    /// </remarks>
    public static string Label(DateTimeOffset time, TimeZoneInfo zone, CalendarUnit unit)
    {
        var local = TimeZoneInfo.ConvertTime(time, zone);
        var date = local.DateTime;
        return unit switch
        {
            CalendarUnit.Hour => local.ToString("yyyy-MM-dd HH':00'zzz", CultureInfo.InvariantCulture),
            CalendarUnit.Day => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            // The ISO week belongs to the ISO year, which differs from the calendar year around 1 January
            // (2021-01-01 is in 2020-W53; 2024-12-30 is in 2025-W01).
            CalendarUnit.Week => string.Create(CultureInfo.InvariantCulture, $"{ISOWeek.GetYear(date):D4}-W{ISOWeek.GetWeekOfYear(date):D2}"),
            CalendarUnit.Month => date.ToString("yyyy-MM", CultureInfo.InvariantCulture),
            CalendarUnit.Year => date.ToString("yyyy", CultureInfo.InvariantCulture),
            _ => throw new ArgumentOutOfRangeException(nameof(unit)),
        };
    }

    /// <summary>The rule's name in reasons: "hourly", "daily", …</summary>
    public static string RuleName(CalendarUnit unit) => unit switch
    {
        CalendarUnit.Hour => "hourly",
        CalendarUnit.Day => "daily",
        CalendarUnit.Week => "weekly",
        CalendarUnit.Month => "monthly",
        CalendarUnit.Year => "yearly",
        _ => throw new ArgumentOutOfRangeException(nameof(unit)),
    };
}
