using Backup.Extensions.DependencyInjection;

namespace Backup.DisasterRecovery;

/// <summary>The longest time a cron schedule leaves between two runs, over a year of occurrences (so weekly, monthly and daylight-saving gaps all show).</summary>
internal static class ScheduleGaps
{
    // A year covers every pattern cron can express short of "once a year", which the first gap past it measures.
    private static readonly TimeSpan Window = TimeSpan.FromDays(366);

    // Bounds the walk of a schedule firing every second or minute; such a schedule's gaps are short in any window.
    private const int MaxOccurrences = 600_000;

    /// <summary>The longest gap after <paramref name="from"/>, or null when the schedule fires at most once.</summary>
    public static TimeSpan? Longest(CronSchedule schedule, DateTimeOffset from)
    {
        var previous = schedule.GetNextOccurrence(from);
        if (previous is null)
        {
            return null;
        }

        var end = previous.Value + Window;
        TimeSpan? longest = null;
        for (var count = 0; count < MaxOccurrences; count++)
        {
            var next = schedule.GetNextOccurrence(previous.Value);
            if (next is null)
            {
                break;
            }

            var gap = next.Value - previous.Value;
            if (longest is null || gap > longest)
            {
                longest = gap;
            }

            if (next.Value > end)
            {
                break;
            }

            previous = next;
        }

        return longest;
    }
}
