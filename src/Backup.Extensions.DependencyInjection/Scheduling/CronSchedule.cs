using Cronos;

namespace Backup.Extensions.DependencyInjection;

/// <summary>
/// A parsed cron expression in a time zone. Daylight-saving rules are Cronos's: an occurrence that falls into
/// the spring-forward gap runs at the end of the gap (a "30 2 * * *" job runs at 03:00 that day); an occurrence
/// in the repeated autumn hour runs once, at its first (summer-time) instant.
/// </summary>
public sealed class CronSchedule
{
    // A year covers every pattern cron can express short of "once a year", which the first gap past it measures.
    private static readonly TimeSpan GapWindow = TimeSpan.FromDays(366);

    // Bounds the walk of a schedule firing every second or minute; such a schedule's gaps are short in any window.
    private const int MaxGapOccurrences = 600_000;

    private readonly CronExpression _expression;

    private CronSchedule(CronExpression expression, TimeZoneInfo timeZone, string text)
    {
        _expression = expression;
        TimeZone = timeZone;
        Expression = text;
    }

    /// <summary>The expression as written.</summary>
    public string Expression { get; }

    /// <summary>The zone the expression is read in.</summary>
    public TimeZoneInfo TimeZone { get; }

    /// <summary>Parses a 5-field (or, with seconds, 6-field) expression in <paramref name="timeZoneId"/> (null: UTC).</summary>
    /// <exception cref="FormatException">The expression or the zone is not valid; the message says which.</exception>
    public static CronSchedule Parse(string expression, string? timeZoneId = null)
    {
        ArgumentNullException.ThrowIfNull(expression);
        var text = expression.Trim();
        var fields = text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        CronExpression parsed;
        try
        {
            parsed = CronExpression.Parse(text, fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);
        }
        catch (CronFormatException e)
        {
            throw new FormatException($"'{expression}' is not a valid cron expression ({e.Message}); write five fields, minute hour day-of-month month day-of-week (six with seconds first), such as '0 2 * * *' for 02:00 every day or '*/15 * * * *' for every 15 minutes", e);
        }

        TimeZoneInfo zone;
        try
        {
            zone = string.IsNullOrWhiteSpace(timeZoneId) ? TimeZoneInfo.Utc : TimeZoneInfo.FindSystemTimeZoneById(timeZoneId);
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw new FormatException($"'{timeZoneId}' is not a known time zone; give an IANA name such as Europe/Berlin, or UTC", e);
        }

        return new CronSchedule(parsed, zone, text);
    }

    /// <summary>The first occurrence strictly after <paramref name="after"/>, or null if there is none.</summary>
    public DateTimeOffset? GetNextOccurrence(DateTimeOffset after)
    {
        var next = _expression.GetNextOccurrence(after.UtcDateTime, TimeZone, inclusive: false);
        return next is { } utc ? new DateTimeOffset(utc, TimeSpan.Zero) : null;
    }

    /// <summary>
    /// The next occurrence for a loop that last fired at <paramref name="lastFired"/>, or null if there is none: the first
    /// after the later of <paramref name="now"/> and <paramref name="lastFired"/>, so that a clock stepped back after a run
    /// (NTP, an operator) or a timer firing a moment early never fires an occurrence twice. But when the clock now stands
    /// more than one interval of the schedule before <paramref name="lastFired"/>, the clock was wrong when it fired (a
    /// machine resumed with its clock a month ahead): waiting for that occurrence to come round again would stop the
    /// runs until then, so the corrected clock decides.
    /// </summary>
    /// <param name="now">The clock's time now.</param>
    /// <param name="lastFired">The occurrence the loop last fired, or null when it has not fired yet.</param>
    public DateTimeOffset? GetNextOccurrence(DateTimeOffset now, DateTimeOffset? lastFired) =>
        GetNextOccurrence(Believed(now, lastFired) is { } last && last > now ? last : now);

    /// <summary>
    /// <paramref name="lastFired"/>, unless the clock now stands more than one interval of the schedule before it (the
    /// clock was wrong when it fired): then null, and the clock decides alone.
    /// </summary>
    internal DateTimeOffset? Believed(DateTimeOffset now, DateTimeOffset? lastFired) =>
        lastFired is { } last && (last <= now || !SteppedBackPastAnInterval(last, now)) ? last : null;

    /// <summary>
    /// The occurrence a run that started at <paramref name="ranAt"/> was for: the last one at or before it, since a run
    /// starts after its occurrence (jitter, hooks); <paramref name="ranAt"/> itself when there is none within a year.
    /// </summary>
    internal DateTimeOffset OccurrenceOf(DateTimeOffset ranAt) => GetPreviousOccurrence(ranAt) ?? ranAt;

    private bool SteppedBackPastAnInterval(DateTimeOffset lastFired, DateTimeOffset now) =>
        GetNextOccurrence(lastFired) is { } following && lastFired - now > following - lastFired;

    /// <summary>The last occurrence at or before <paramref name="atOrBefore"/> within a year, or null.</summary>
    public DateTimeOffset? GetPreviousOccurrence(DateTimeOffset atOrBefore)
    {
        // Cronos only looks forward; widen the window until it holds an occurrence, so that a per-minute
        // schedule does not enumerate a year of minutes.
        foreach (var window in (ReadOnlySpan<TimeSpan>)[TimeSpan.FromHours(1), TimeSpan.FromDays(1), TimeSpan.FromDays(8), TimeSpan.FromDays(32), TimeSpan.FromDays(367)])
        {
            DateTime? last = null;
            foreach (var occurrence in _expression.GetOccurrences(atOrBefore.UtcDateTime - window, atOrBefore.UtcDateTime, TimeZone, fromInclusive: true, toInclusive: true))
            {
                last = occurrence;
            }

            if (last is { } found)
            {
                return new DateTimeOffset(found, TimeSpan.Zero);
            }
        }

        return null;
    }

    /// <summary>
    /// The longest time the schedule leaves between two runs over a year of occurrences from <paramref name="from"/>
    /// (so weekly, monthly and daylight-saving gaps all show), or null when it fires at most once.
    /// </summary>
    public TimeSpan? GetLongestGap(DateTimeOffset from)
    {
        var previous = GetNextOccurrence(from);
        if (previous is null)
        {
            return null;
        }

        var end = previous.Value + GapWindow;
        TimeSpan? longest = null;
        for (var count = 0; count < MaxGapOccurrences; count++)
        {
            var next = GetNextOccurrence(previous.Value);
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
