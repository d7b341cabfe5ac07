using System.Globalization;
using System.Text;

namespace Backup.Core.Retention;

/// <summary>
/// Which snapshots to keep. Every rule is optional (null or empty = unused) and rules combine by OR: a snapshot
/// is kept when any rule keeps it. A policy without any rule is refused, because it would remove everything.
/// See <see cref="RetentionEvaluator"/> for the exact semantics.
/// </summary>
/// <remarks>
/// Build one with an object initializer (or a preset such as <see cref="Gfs"/>) and call <see cref="Validate"/>;
/// <see cref="RetentionEvaluator.Evaluate"/> and <see cref="RetentionService.ApplyAsync"/> validate again, so an
/// invalid policy never reaches a deletion.
/// </remarks>
public sealed record RetentionPolicy
{
    /// <summary>Keep the newest N snapshots.</summary>
    public int? KeepLast { get; init; }

    /// <summary>Keep the newest snapshot of each of the N newest hours that have one.</summary>
    public int? KeepHourly { get; init; }

    /// <summary>Keep the newest snapshot of each of the N newest calendar days that have one.</summary>
    public int? KeepDaily { get; init; }

    /// <summary>Keep the newest snapshot of each of the N newest ISO weeks that have one.</summary>
    public int? KeepWeekly { get; init; }

    /// <summary>Keep the newest snapshot of each of the N newest calendar months that have one.</summary>
    public int? KeepMonthly { get; init; }

    /// <summary>Keep the newest snapshot of each of the N newest calendar years that have one.</summary>
    public int? KeepYearly { get; init; }

    /// <summary>
    /// Keep every snapshot taken after the group's newest snapshot (not now) less this duration; calendar months and
    /// years count back on the calendar (see <see cref="RetentionDuration"/>). A <see cref="TimeSpan"/> converts implicitly.
    /// </summary>
    public RetentionDuration? KeepWithin { get; init; }

    /// <summary>Keep the newest snapshot of every hour within this duration before the group's newest snapshot.</summary>
    public RetentionDuration? KeepWithinHourly { get; init; }

    /// <summary>Keep the newest snapshot of every day within this duration before the group's newest snapshot.</summary>
    public RetentionDuration? KeepWithinDaily { get; init; }

    /// <summary>Keep the newest snapshot of every ISO week within this duration before the group's newest snapshot.</summary>
    public RetentionDuration? KeepWithinWeekly { get; init; }

    /// <summary>Keep the newest snapshot of every month within this duration before the group's newest snapshot.</summary>
    public RetentionDuration? KeepWithinMonthly { get; init; }

    /// <summary>Keep the newest snapshot of every year within this duration before the group's newest snapshot.</summary>
    public RetentionDuration? KeepWithinYearly { get; init; }

    /// <summary>
    /// Sets of tags: a snapshot carrying every tag of at least one set is kept (tags compare ordinally,
    /// case-sensitive). <c>[["prod"], ["db", "monthly"]]</c> keeps snapshots tagged prod, and those tagged both db and monthly.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<string>> KeepTags { get; init; } = [];

    /// <summary>
    /// The one time zone in which hours, days, weeks, months and years are computed (UTC by default), so that
    /// the "daily" snapshot does not depend on the offset each machine recorded or on where retention runs.
    /// </summary>
    public TimeZoneInfo TimeZone { get; init; } = TimeZoneInfo.Utc;

    /// <summary>Which properties split snapshots into independently evaluated groups (host, source kind and paths by default).</summary>
    public SnapshotGrouping GroupBy { get; init; } = SnapshotGrouping.Default;

    /// <summary>Whether any rule is set.</summary>
    public bool HasRules =>
        KeepLast is not null || KeepHourly is not null || KeepDaily is not null || KeepWeekly is not null
        || KeepMonthly is not null || KeepYearly is not null || KeepWithin is not null || KeepWithinHourly is not null
        || KeepWithinDaily is not null || KeepWithinWeekly is not null || KeepWithinMonthly is not null
        || KeepWithinYearly is not null || KeepTags is { Count: > 0 };

    /// <summary>
    /// Grandfather-father-son: the newest snapshot of each of the last <paramref name="daily"/> days,
    /// <paramref name="weekly"/> ISO weeks, <paramref name="monthly"/> months and <paramref name="yearly"/> years
    /// (each null to leave that level out).
    /// </summary>
    /// <exception cref="ArgumentException">A count is zero or negative, or all are null.</exception>
    public static RetentionPolicy Gfs(int? daily = 7, int? weekly = 4, int? monthly = 12, int? yearly = 3, TimeZoneInfo? timeZone = null) =>
        new RetentionPolicy
        {
            KeepDaily = daily,
            KeepWeekly = weekly,
            KeepMonthly = monthly,
            KeepYearly = yearly,
            TimeZone = timeZone ?? TimeZoneInfo.Utc,
        }.Validated();

    /// <summary>For daily backups: the last 3 snapshots, 7 daily, 4 weekly, 12 monthly and 3 yearly.</summary>
    public static RetentionPolicy Standard => Gfs(daily: 7, weekly: 4, monthly: 12, yearly: 3) with { KeepLast = 3 };

    /// <summary>For hourly backups: the last 3 snapshots, 24 hourly, 7 daily, 4 weekly and 6 monthly.</summary>
    public static RetentionPolicy Frequent => Gfs(daily: 7, weekly: 4, monthly: 6, yearly: null) with { KeepLast = 3, KeepHourly = 24 };

    /// <summary>For long retention (audits): 30 daily, 8 weekly, 24 monthly and 7 yearly.</summary>
    public static RetentionPolicy LongTerm => Gfs(daily: 30, weekly: 8, monthly: 24, yearly: 7);

    /// <summary>Checks every setting.</summary>
    /// <exception cref="ArgumentException">A setting is invalid (the exception names it), or the policy has no rule.</exception>
    public void Validate()
    {
        CheckCount(KeepLast, nameof(KeepLast));
        CheckCount(KeepHourly, nameof(KeepHourly));
        CheckCount(KeepDaily, nameof(KeepDaily));
        CheckCount(KeepWeekly, nameof(KeepWeekly));
        CheckCount(KeepMonthly, nameof(KeepMonthly));
        CheckCount(KeepYearly, nameof(KeepYearly));
        CheckDuration(KeepWithin, nameof(KeepWithin));
        CheckDuration(KeepWithinHourly, nameof(KeepWithinHourly));
        CheckDuration(KeepWithinDaily, nameof(KeepWithinDaily));
        CheckDuration(KeepWithinWeekly, nameof(KeepWithinWeekly));
        CheckDuration(KeepWithinMonthly, nameof(KeepWithinMonthly));
        CheckDuration(KeepWithinYearly, nameof(KeepWithinYearly));

        if (KeepTags is null)
        {
            throw new ArgumentException("KeepTags must not be null; use an empty list when not keeping by tag.", nameof(KeepTags));
        }

        foreach (var set in KeepTags)
        {
            // An empty set would be carried by every snapshot and silently keep everything.
            if (set is null || set.Count == 0 || set.Any(string.IsNullOrEmpty))
            {
                throw new ArgumentException("Each KeepTags set must hold at least one tag, and no tag may be empty.", nameof(KeepTags));
            }
        }

        if (TimeZone is null)
        {
            throw new ArgumentException("TimeZone must be set (TimeZoneInfo.Utc by default).", nameof(TimeZone));
        }

        if ((GroupBy & ~(SnapshotGrouping.Host | SnapshotGrouping.SourceKind | SnapshotGrouping.Paths | SnapshotGrouping.Tags)) != 0)
        {
            throw new ArgumentException($"GroupBy {(int)GroupBy} holds unknown flags; combine Host, SourceKind, Paths and Tags.", nameof(GroupBy));
        }

        if (!HasRules)
        {
            throw new ArgumentException(
                "The retention policy has no rule, so it would remove every snapshot; set at least one of KeepLast, KeepHourly, KeepDaily, KeepWeekly, KeepMonthly, KeepYearly, KeepWithin, KeepWithin{Hourly,Daily,Weekly,Monthly,Yearly} or KeepTags.",
                "policy");
        }
    }

    /// <summary>The rules in words, e.g. <c>last 3, daily 7, weekly 4, within 2d (zone UTC, by host+kind+paths)</c>.</summary>
    public override string ToString()
    {
        var rules = new List<string>();
        Add("last", KeepLast);
        Add("hourly", KeepHourly);
        Add("daily", KeepDaily);
        Add("weekly", KeepWeekly);
        Add("monthly", KeepMonthly);
        Add("yearly", KeepYearly);
        AddWithin("within", KeepWithin);
        AddWithin("hourly within", KeepWithinHourly);
        AddWithin("daily within", KeepWithinDaily);
        AddWithin("weekly within", KeepWithinWeekly);
        AddWithin("monthly within", KeepWithinMonthly);
        AddWithin("yearly within", KeepWithinYearly);
        foreach (var set in KeepTags ?? [])
        {
            rules.Add("tag " + string.Join('+', set));
        }

        var text = new StringBuilder(rules.Count == 0 ? "no rules" : string.Join(", ", rules));
        text.Append(CultureInfo.InvariantCulture, $" (zone {TimeZone?.Id}, {DescribeGrouping(GroupBy)})");
        return text.ToString();

        void Add(string name, int? count)
        {
            if (count is { } n)
            {
                rules.Add(string.Create(CultureInfo.InvariantCulture, $"{name} {n}"));
            }
        }

        void AddWithin(string name, RetentionDuration? duration)
        {
            if (duration is { } d)
            {
                rules.Add($"{name} {d}");
            }
        }
    }

    // Spelled out, because SnapshotGrouping.Default would print as "Default" and hide what it groups by.
    private static string DescribeGrouping(SnapshotGrouping grouping)
    {
        var parts = new List<string>(4);
        if (grouping.HasFlag(SnapshotGrouping.Host))
        {
            parts.Add("host");
        }

        if (grouping.HasFlag(SnapshotGrouping.SourceKind))
        {
            parts.Add("kind");
        }

        if (grouping.HasFlag(SnapshotGrouping.Paths))
        {
            parts.Add("paths");
        }

        if (grouping.HasFlag(SnapshotGrouping.Tags))
        {
            parts.Add("tags");
        }

        return parts.Count == 0 ? "not grouped" : "by " + string.Join('+', parts);
    }

    private RetentionPolicy Validated()
    {
        Validate();
        return this;
    }

    private static void CheckCount(int? value, string name)
    {
        if (value is <= 0)
        {
            throw new ArgumentException($"{name} must be at least 1 (or null to leave the rule out); it is {value}.", name);
        }
    }

    private static void CheckDuration(RetentionDuration? value, string name)
    {
        if (value is { } d && !d.IsPositive)
        {
            throw new ArgumentException($"{name} must be a positive duration (or null to leave the rule out); it is {d}.", name);
        }
    }
}
