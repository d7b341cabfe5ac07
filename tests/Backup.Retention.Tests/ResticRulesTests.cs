using Backup.Core.Retention;
using Backup.Core.Snapshots;
using static Backup.Retention.Tests.TestSnapshots;

namespace Backup.Retention.Tests;

/// <summary>The rules restic 0.16 and later apply: the oldest snapshot kept while counts are left, calendar durations, an exclusive within boundary.</summary>
public class ResticRulesTests
{
    private static List<string> Reasons(RetentionPolicy policy, IEnumerable<Snapshot> snapshots, TimeZoneInfo? zone = null) =>
        RetentionEvaluator.Evaluate(snapshots, zone is null ? policy : policy with { TimeZone = zone }, FarFuture)
            .Single().Decisions.Select(d => string.Join("; ", d.Reasons)).ToList();

    private static RetentionDuration Parse(string text)
    {
        RetentionDuration.TryParse(text, out var duration).Should().BeTrue(text);
        return duration;
    }

    [Fact]
    public void A_count_not_used_up_keeps_the_oldest_snapshot_too()
    {
        // Three days for seven slots: the oldest snapshot shares its day with a kept one and is kept as well.
        Reasons(new RetentionPolicy { KeepDaily = 7 },
            [At("2026-11-24T18:00Z"), At("2026-11-24T06:00Z"), At("2026-11-23T18:00Z"), At("2026-11-22T18:00Z"), At("2026-11-22T06:00Z")])
            .Should().Equal("daily 1 (2026-11-24)", "", "daily 2 (2026-11-23)", "daily 3 (2026-11-22)", "oldest daily (2026-11-22)");
    }

    [Fact]
    public void A_count_used_up_does_not_keep_the_oldest()
    {
        Reasons(new RetentionPolicy { KeepDaily = 3 },
            [At("2026-11-24T18:00Z"), At("2026-11-23T18:00Z"), At("2026-11-22T18:00Z"), At("2026-11-22T06:00Z")])
            .Should().Equal("daily 1 (2026-11-24)", "daily 2 (2026-11-23)", "daily 3 (2026-11-22)", "");
    }

    [Fact]
    public void Backups_begun_during_the_year_keep_their_first_snapshot_for_the_yearly_rule()
    {
        // restic #3624: monthly backups since June 2025; --keep-yearly 3 keeps the newest of 2026 and of 2025, and June 2025 too.
        var snapshots = Enumerable.Range(0, 12).Select(m => At(new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(m))).ToList();
        var kept = RetentionEvaluator.Evaluate(snapshots, new RetentionPolicy { KeepYearly = 3 }, FarFuture).Single().Kept
            .Select(d => (d.Snapshot.Time.ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture), string.Join("; ", d.Reasons)));
        kept.Should().Equal(("2026-05", "yearly 1 (2026)"), ("2025-12", "yearly 2 (2025)"), ("2025-06", "oldest yearly (2025)"));
    }

    [Fact]
    public void Keep_within_buckets_keep_the_oldest_when_the_whole_group_is_in_the_window()
    {
        Reasons(new RetentionPolicy { KeepWithinDaily = Parse("7d") },
            [At("2026-11-24T18:00Z"), At("2026-11-23T18:00Z"), At("2026-11-23T06:00Z")])
            .Should().Equal("daily within 7d (2026-11-24)", "daily within 7d (2026-11-23)", "oldest daily within 7d (2026-11-23)");

        // Outside the window the oldest is not kept.
        Reasons(new RetentionPolicy { KeepWithinDaily = Parse("1d") },
            [At("2026-11-24T18:00Z"), At("2026-11-23T18:00Z"), At("2026-11-23T06:00Z")])
            .Should().Equal("daily within 1d (2026-11-24)", "", "");
    }

    [Fact]
    public void The_within_boundary_is_exclusive_as_in_restic()
    {
        // restic keeps a snapshot when its time is after newest − duration: exactly on the boundary is out.
        Reasons(new RetentionPolicy { KeepWithin = Parse("7d") },
            [At("2026-12-01T00:00Z"), At("2026-11-24T00:00:01Z"), At("2026-11-24T00:00Z")])
            .Should().Equal("within 7d", "within 7d", "");
    }

    [Fact]
    public void Months_are_calendar_months_not_thirty_days()
    {
        // 2m back from 24 November is 24 September (61 days), where 60 days would stop at 25 September.
        Reasons(new RetentionPolicy { KeepWithin = Parse("2m") },
            [At("2026-11-24T00:00Z"), At("2026-09-24T00:01Z"), At("2026-09-24T00:00Z")])
            .Should().Equal("within 2m", "within 2m", "");
    }

    [Fact]
    public void A_month_back_from_the_31st_ends_on_the_last_day_of_the_shorter_month()
    {
        // From 31 March back one month is 28 February (2026 is no leap year): more than 30 days, and not restic's
        // 3 March (Go's AddDate overflows 31 February into March, which would keep less than a month).
        Reasons(new RetentionPolicy { KeepWithin = Parse("1m") },
            [At("2026-03-31T12:00Z"), At("2026-03-02T12:00Z"), At("2026-02-28T12:01Z"), At("2026-02-28T12:00Z")])
            .Should().Equal("within 1m", "within 1m", "within 1m", "");

        // In a leap year, 29 February.
        Reasons(new RetentionPolicy { KeepWithin = Parse("1m") },
            [At("2024-03-31T12:00Z"), At("2024-02-29T12:01Z"), At("2024-02-29T12:00Z")])
            .Should().Equal("within 1m", "within 1m", "");
    }

    [Fact]
    public void Years_are_calendar_years()
    {
        // One year back from 29 February 2024 is 28 February 2023; from 1 March 2025 it is 1 March 2024 (366 days).
        Reasons(new RetentionPolicy { KeepWithin = Parse("1y") },
            [At("2024-02-29T00:00Z"), At("2023-02-28T00:01Z"), At("2023-02-28T00:00Z")])
            .Should().Equal("within 1y", "within 1y", "");
        Reasons(new RetentionPolicy { KeepWithin = Parse("1y") },
            [At("2025-03-01T00:00Z"), At("2024-03-01T00:01Z"), At("2024-03-01T00:00Z")])
            .Should().Equal("within 1y", "within 1y", "");
    }

    [Fact]
    public void Days_are_calendar_days_in_the_policy_zone_and_hours_are_exact()
    {
        // Berlin moved to summer time on 29 March 2026: noon to noon across it is 23 hours.
        var snapshots = new[] { At("2026-03-29T12:00+02:00"), At("2026-03-28T12:30+01:00"), At("2026-03-28T11:30+01:00") };
        Reasons(new RetentionPolicy { KeepWithin = Parse("1d") }, snapshots, Berlin).Should().Equal("within 1d", "within 1d", "");
        // 24 exact hours reach back to 11:00 local.
        Reasons(new RetentionPolicy { KeepWithin = Parse("24h") }, snapshots, Berlin).Should().Equal("within 1d", "within 1d", "within 1d");
        Reasons(new RetentionPolicy { KeepWithin = TimeSpan.FromDays(1) }, snapshots, Berlin).Should().Equal("within 1d", "within 1d", "within 1d");
    }

    [Theory]
    [InlineData("1y6m", 1, 6, 0, 0)]
    [InlineData("2w", 0, 0, 14, 0)]
    [InlineData("7d", 0, 0, 7, 0)]
    [InlineData("36h", 0, 0, 0, 36)]
    [InlineData("1y2m3d4h", 1, 2, 3, 4)]
    [InlineData(" 2M ", 0, 2, 0, 0)]
    [InlineData("1.12:00:00", 0, 0, 0, 36)]
    public void Durations_parse_into_calendar_parts_and_hours(string text, int years, int months, int days, int hours)
    {
        Parse(text).Should().Be(new RetentionDuration(years, months, days, TimeSpan.FromHours(hours)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("0d")]
    [InlineData("7")]
    [InlineData("d")]
    [InlineData("7x")]
    [InlineData("-1d")]
    [InlineData("00:00:00")]
    [InlineData("99999y")]
    public void Bad_durations_are_refused(string text)
    {
        RetentionDuration.TryParse(text, out _).Should().BeFalse();
    }

    [Theory]
    [InlineData("1y6m", "1y6m")]
    [InlineData("36h", "1d12h")]
    [InlineData("1d36h", "1d36h")]
    [InlineData("1y2m3d4h", "1y2m3d4h")]
    [InlineData("01:30:00", "1h30min")]
    public void Durations_print_compactly(string text, string printed)
    {
        Parse(text).ToString().Should().Be(printed);
    }

    [Fact]
    public void A_negative_part_is_refused_by_validation()
    {
        var act = () => new RetentionPolicy { KeepWithin = new RetentionDuration(1, -1, 0, TimeSpan.Zero) }.Validate();
        act.Should().Throw<ArgumentException>().Which.ParamName.Should().Be(nameof(RetentionPolicy.KeepWithin));
    }
}
