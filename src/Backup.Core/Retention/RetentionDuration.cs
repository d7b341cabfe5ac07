using System.Globalization;
using System.Text;

namespace Backup.Core.Retention;

/// <summary>
/// How far back a keep-within rule reaches: calendar years, months and days, counted back on the calendar of the
/// policy's time zone (as restic does: <c>2m</c> from 24 November is 24 September, not 60 days), then an exact
/// <see cref="Time"/>. A <see cref="TimeSpan"/> converts implicitly into the exact part alone.
/// </summary>
/// <remarks>
/// A month back from a day the earlier month does not have ends on that month's last day (31 March − 1 month is 28
/// or 29 February). restic (Go's <c>AddDate</c>) would overflow into the next month instead (3 or 2 March), which keeps
/// less than a month; the last day of the month is what "one month back" means to people.
/// </remarks>
public readonly record struct RetentionDuration
{
    /// <summary>A duration of whole calendar units and an exact remainder; every part must be zero or positive.</summary>
    public RetentionDuration(int years, int months, int days, TimeSpan time)
    {
        Years = years;
        Months = months;
        Days = days;
        Time = time;
    }

    /// <summary>Calendar years (<c>y</c>).</summary>
    public int Years { get; }

    /// <summary>Calendar months (<c>m</c>).</summary>
    public int Months { get; }

    /// <summary>Calendar days (<c>d</c>, or <c>w</c> as 7 days): a 23- or 25-hour day across a clock change is one day.</summary>
    public int Days { get; }

    /// <summary>The exact part (<c>h</c>, or a TimeSpan), subtracted after the calendar parts.</summary>
    public TimeSpan Time { get; }

    /// <summary>Whether no part is negative and at least one is positive.</summary>
    public bool IsPositive => Years >= 0 && Months >= 0 && Days >= 0 && Time >= TimeSpan.Zero
        && (Years > 0 || Months > 0 || Days > 0 || Time > TimeSpan.Zero);

    /// <summary>The exact duration <paramref name="time"/>, with no calendar part.</summary>
    public static implicit operator RetentionDuration(TimeSpan time) => new(0, 0, 0, time);

    /// <summary>The exact duration <paramref name="time"/>, with no calendar part.</summary>
    public static RetentionDuration FromTimeSpan(TimeSpan time) => new(0, 0, 0, time);

    /// <summary>
    /// Parses restic-style units (<c>1y6m</c>, <c>7d</c>, <c>2w</c>, <c>36h</c>, <c>1y2m3d4h</c>: y = calendar years,
    /// m = calendar months, w = 7 calendar days, d = calendar days, h = hours) or a TimeSpan such as <c>1.12:00:00</c>.
    /// </summary>
    /// <returns>Whether <paramref name="text"/> is a positive duration.</returns>
    public static bool TryParse(string? text, out RetentionDuration duration)
    {
        duration = default;
        var s = text?.Trim() ?? "";
        if (s.Contains(':', StringComparison.Ordinal))
        {
            if (TimeSpan.TryParse(s, CultureInfo.InvariantCulture, out var span) && span > TimeSpan.Zero)
            {
                duration = span;
                return true;
            }

            return false;
        }

        long years = 0, months = 0, days = 0, hours = 0;
        var i = 0;
        while (i < s.Length)
        {
            var start = i;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
            }

            if (i == start || i == s.Length || !int.TryParse(s.AsSpan(start, i - start), NumberStyles.None, CultureInfo.InvariantCulture, out var count))
            {
                return false;
            }

            switch (char.ToLowerInvariant(s[i]))
            {
                case 'y': years += count; break;
                case 'm': months += count; break;
                case 'w': days += 7L * count; break;
                case 'd': days += count; break;
                case 'h': hours += count; break;
                default: return false;
            }

            i++;
        }

        // Beyond these a subtraction leaves the calendar (year 1) anyway; refusing keeps the arithmetic in range.
        if (years > 9999 || months > 12 * 9999 || days > 366 * 9999 || hours > 24L * 366 * 9999)
        {
            return false;
        }

        duration = new RetentionDuration((int)years, (int)months, (int)days, TimeSpan.FromHours(hours));
        return duration.IsPositive;
    }

    /// <summary>
    /// The instant this duration before <paramref name="instant"/>: years, months and days back on the local calendar
    /// of <paramref name="zone"/> (clamped to the month's last day), then <see cref="Time"/> back exactly.
    /// <see cref="DateTimeOffset.MinValue"/> when that is before the calendar begins.
    /// </summary>
    internal DateTimeOffset Before(DateTimeOffset instant, TimeZoneInfo zone)
    {
        try
        {
            var result = instant;
            if (Years != 0 || Months != 0 || Days != 0)
            {
                var local = TimeZoneInfo.ConvertTime(instant, zone).DateTime;
                var earlier = local.AddMonths(-checked((12 * Years) + Months)).AddDays(-Days);
                // A wall time that does not exist (spring forward) or exists twice (fall back) gets the zone's standard offset.
                result = new DateTimeOffset(earlier, zone.GetUtcOffset(earlier));
            }

            return result.UtcDateTime - DateTime.MinValue < Time ? DateTimeOffset.MinValue : result - Time;
        }
        catch (ArgumentOutOfRangeException)
        {
            return DateTimeOffset.MinValue;
        }
    }

    /// <summary>The compact form: <c>1y6m</c>, <c>7d</c>, <c>1d12h</c> (36 exact hours), <c>1h30min</c>.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        Append(Years, "y");
        Append(Months, "m");
        Append(Days, "d");
        var time = Time;
        if (time != TimeSpan.Zero || text.Length == 0)
        {
            // Whole exact days print as "d" unless calendar days already do ("1d36h", not "1d1d12h").
            if (Days == 0)
            {
                Append(time.Days, "d");
                Append(time.Hours, "h");
            }
            else
            {
                Append((time.Days * 24) + time.Hours, "h");
            }

            Append(time.Minutes, "min");
            if (time.Seconds != 0 || time.Milliseconds != 0 || text.Length == 0)
            {
                text.Append(CultureInfo.InvariantCulture, $"{time.TotalSeconds % 60:0.###}s");
            }
        }

        return text.ToString();

        void Append(int value, string unit)
        {
            if (value != 0)
            {
                text.Append(CultureInfo.InvariantCulture, $"{value}{unit}");
            }
        }
    }
}
