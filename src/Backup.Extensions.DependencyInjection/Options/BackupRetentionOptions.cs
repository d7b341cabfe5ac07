using Backup.Core.Retention;

namespace Backup.Extensions.DependencyInjection;

/// <summary>
/// A job's retention ("forget") after each successful backup, applied only to that job's own snapshots (those whose
/// <c>backup.job</c> metadata names the job), so jobs sharing a repository never forget each other's snapshots.
/// The rules are those of <see cref="RetentionPolicy"/> (docs/retention.md); at least one is required. Bound from
/// configuration (<c>Backup:Jobs:{job}:Retention</c>) or set in code; validated at start-up.
/// </summary>
/// <remarks>
/// The keep-within durations count calendar years, months and days as restic does (<see cref="RetentionDuration"/>:
/// <c>2m</c> is two calendar months back from the newest snapshot). Configuration writes them <c>1y6m</c>, <c>2m</c>,
/// <c>14d</c>, <c>2w</c>, <c>36h</c>, or as a TimeSpan (<c>7.00:00:00</c>); a <see cref="TimeSpan"/> assigned in code
/// converts implicitly into an exact duration.
/// </remarks>
public sealed class BackupRetentionOptions
{
    /// <summary>Keep the newest N snapshots.</summary>
    public int? KeepLast { get; set; }

    /// <summary>Keep the newest snapshot of each of the N newest hours that have one.</summary>
    public int? KeepHourly { get; set; }

    /// <summary>Keep the newest snapshot of each of the N newest days that have one.</summary>
    public int? KeepDaily { get; set; }

    /// <summary>Keep the newest snapshot of each of the N newest ISO weeks that have one.</summary>
    public int? KeepWeekly { get; set; }

    /// <summary>Keep the newest snapshot of each of the N newest months that have one.</summary>
    public int? KeepMonthly { get; set; }

    /// <summary>Keep the newest snapshot of each of the N newest years that have one.</summary>
    public int? KeepYearly { get; set; }

    /// <summary>Keep every snapshot within this duration before the job's newest snapshot (configuration: <c>1y6m</c>, <c>14d</c>, <c>36h</c> or <c>7.00:00:00</c>).</summary>
    public RetentionDuration? KeepWithin { get; set; }

    /// <summary>Keep the newest snapshot of every hour within this duration before the job's newest snapshot.</summary>
    public RetentionDuration? KeepWithinHourly { get; set; }

    /// <summary>Keep the newest snapshot of every day within this duration before the job's newest snapshot.</summary>
    public RetentionDuration? KeepWithinDaily { get; set; }

    /// <summary>Keep the newest snapshot of every ISO week within this duration before the job's newest snapshot.</summary>
    public RetentionDuration? KeepWithinWeekly { get; set; }

    /// <summary>Keep the newest snapshot of every month within this duration before the job's newest snapshot.</summary>
    public RetentionDuration? KeepWithinMonthly { get; set; }

    /// <summary>Keep the newest snapshot of every year within this duration before the job's newest snapshot.</summary>
    public RetentionDuration? KeepWithinYearly { get; set; }

    /// <summary>Sets of tags: a snapshot carrying every tag of one set is kept (configuration: <c>KeepTags:0:0</c>, <c>KeepTags:0:1</c>…).</summary>
    public List<List<string>> KeepTags { get; } = [];

    /// <summary>The IANA (or Windows) time zone days, weeks, months and years are counted in; default: the job's <see cref="BackupJobOptions.TimeZone"/>, else UTC.</summary>
    public string? TimeZone { get; set; }

    /// <summary>
    /// Whether to prune (free the data no snapshot uses any more) after retention forgot snapshots. Prune needs the
    /// repository's exclusive lock: when another job holds a lock it is skipped (logged) and tried again after the
    /// job's next backup. Default false.
    /// </summary>
    public bool Prune { get; set; }

    /// <summary>Builds the Core policy these settings describe (grouped by host, source kind and paths).</summary>
    /// <param name="defaultTimeZone">The zone used when <see cref="TimeZone"/> is not set (the job's); UTC when null too.</param>
    /// <exception cref="ArgumentException">A rule is invalid or none is set (<see cref="ArgumentException.ParamName"/> names the setting).</exception>
    /// <exception cref="TimeZoneNotFoundException">The time zone is unknown.</exception>
    public RetentionPolicy ToPolicy(string? defaultTimeZone = null)
    {
        var zone = TimeZone ?? defaultTimeZone;
        var policy = new RetentionPolicy
        {
            KeepLast = KeepLast,
            KeepHourly = KeepHourly,
            KeepDaily = KeepDaily,
            KeepWeekly = KeepWeekly,
            KeepMonthly = KeepMonthly,
            KeepYearly = KeepYearly,
            KeepWithin = KeepWithin,
            KeepWithinHourly = KeepWithinHourly,
            KeepWithinDaily = KeepWithinDaily,
            KeepWithinWeekly = KeepWithinWeekly,
            KeepWithinMonthly = KeepWithinMonthly,
            KeepWithinYearly = KeepWithinYearly,
            KeepTags = [.. KeepTags.Select(set => (IReadOnlyList<string>)[.. set])],
            TimeZone = string.IsNullOrWhiteSpace(zone) ? TimeZoneInfo.Utc : TimeZoneInfo.FindSystemTimeZoneById(zone),
        };
        policy.Validate();
        return policy;
    }
}
