using System.Globalization;
using Backup.Core.Retention;

namespace Backup.Cli;

/// <summary>
/// Parses durations given on the command line: restic-style unit sequences such as <c>7d</c>, <c>36h</c>, <c>2w</c>,
/// <c>1y6m</c> or <c>1d12h</c> (y = 365 days, m = 30 days, w = 7 days, d = days, h = hours), or a .NET TimeSpan such as
/// <c>1.12:00:00</c> or <c>06:30:00</c>.
/// </summary>
internal static class DurationParser
{
    public const string HelpText = "e.g. 7d, 36h, 2w, 1y6m (y = 365 days, m = 30 days), or a TimeSpan such as 1.12:00:00";

    /// <summary>The help for retention windows, which count calendar months and years as restic does.</summary>
    public const string RetentionHelpText = "e.g. 7d, 36h, 2w, 1y6m (calendar years and months: 1m back from 31 March is 28 or 29 February), or a TimeSpan such as 1.12:00:00";

    /// <summary>The retention window <paramref name="text"/> names (<see cref="RetentionDuration.TryParse"/>).</summary>
    /// <exception cref="CliUsageException">The text is not a positive duration; the message names <paramref name="optionName"/>.</exception>
    public static RetentionDuration ParseRetention(string text, string optionName) =>
        RetentionDuration.TryParse(text, out var duration)
            ? duration
            : throw new CliUsageException($"{optionName} '{text}' is not a positive duration ({RetentionHelpText}).");

    /// <summary>The duration <paramref name="text"/> names.</summary>
    /// <exception cref="CliUsageException">The text is not a positive duration; the message names <paramref name="optionName"/>.</exception>
    public static TimeSpan Parse(string text, string optionName)
    {
        var s = text.Trim();
        if (TryParseUnits(s, out var duration) || (s.Contains(':', StringComparison.Ordinal) && TimeSpan.TryParse(s, CultureInfo.InvariantCulture, out duration)))
        {
            if (duration > TimeSpan.Zero)
            {
                return duration;
            }
        }

        throw new CliUsageException($"{optionName} '{text}' is not a positive duration ({HelpText}).");
    }

    private static bool TryParseUnits(string s, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (s.Length == 0)
        {
            return false;
        }

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

            long hours = char.ToLowerInvariant(s[i]) switch
            {
                'y' => 365 * 24,
                'm' => 30 * 24,
                'w' => 7 * 24,
                'd' => 24,
                'h' => 1,
                _ => -1,
            };
            if (hours < 0)
            {
                return false;
            }

            try
            {
                duration += TimeSpan.FromTicks(checked(count * hours * TimeSpan.TicksPerHour));
            }
            catch (OverflowException)
            {
                return false;
            }

            i++;
        }

        return true;
    }
}
