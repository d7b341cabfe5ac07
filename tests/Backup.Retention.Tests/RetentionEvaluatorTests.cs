using Backup.Core.Retention;
using Backup.Core.Snapshots;
using static Backup.Retention.Tests.TestSnapshots;

namespace Backup.Retention.Tests;

public class RetentionEvaluatorTests
{
    /// <summary>Evaluates and returns, for the only group, each snapshot's time (as given) with its reasons; removed ones have none.</summary>
    private static List<(Snapshot Snapshot, RetentionAction Action, string Reasons)> Decide(RetentionPolicy policy, IEnumerable<Snapshot> snapshots, DateTimeOffset? now = null)
    {
        var groups = RetentionEvaluator.Evaluate(snapshots, policy, now ?? FarFuture);
        groups.Should().HaveCount(1);
        return groups[0].Decisions.Select(d => (d.Snapshot, d.Action, string.Join("; ", d.Reasons))).ToList();
    }

    private static List<string> KeptTimes(RetentionPolicy policy, IEnumerable<Snapshot> snapshots, DateTimeOffset? now = null) =>
        RetentionEvaluator.Evaluate(snapshots, policy, now ?? FarFuture)
            .SelectMany(g => g.Kept)
            .Select(d => d.Snapshot.Time.UtcDateTime.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture))
            .Order(StringComparer.Ordinal)
            .ToList();

    [Fact]
    public void Decisions_are_newest_first_and_removed_snapshots_have_no_reason()
    {
        var decisions = Decide(new RetentionPolicy { KeepLast = 2 }, [At("2026-01-01T00:00Z"), At("2026-01-03T00:00Z"), At("2026-01-02T00:00Z")]);
        decisions.Select(d => (d.Snapshot.Time.Day, d.Action, d.Reasons)).Should().Equal(
            (3, RetentionAction.Keep, "last 1"),
            (2, RetentionAction.Keep, "last 2"),
            (1, RetentionAction.Remove, ""));
    }

    [Fact]
    public void KeepLast_keeps_the_newest_n()
    {
        var snapshots = Enumerable.Range(1, 5).Select(d => At($"2026-01-0{d}T12:00Z")).ToList();
        KeptTimes(new RetentionPolicy { KeepLast = 3 }, snapshots).Should().Equal("2026-01-03 12:00", "2026-01-04 12:00", "2026-01-05 12:00");
        KeptTimes(new RetentionPolicy { KeepLast = 10 }, snapshots).Should().HaveCount(5);
    }

    [Fact]
    public void KeepDaily_keeps_the_newest_per_day_and_days_without_snapshots_use_no_slot()
    {
        var decisions = Decide(new RetentionPolicy { KeepDaily = 3 },
        [
            At("2026-11-24T18:00Z"), At("2026-11-24T06:00Z"),
            // 2026-11-23: no snapshot; it must not use up a slot.
            At("2026-11-22T23:59Z"), At("2026-11-22T00:00Z"),
            At("2026-11-21T10:00Z"),
            At("2026-11-20T10:00Z"),
        ]);
        decisions.Select(d => d.Reasons).Should().Equal(
            "daily 1 (2026-11-24)", "",
            "daily 2 (2026-11-22)", "",
            "daily 3 (2026-11-21)",
            "");
    }

    [Fact]
    public void KeepHourly_keeps_the_newest_per_hour()
    {
        var decisions = Decide(new RetentionPolicy { KeepHourly = 2 },
            [At("2026-11-24T10:59Z"), At("2026-11-24T10:01Z"), At("2026-11-24T08:30Z"), At("2026-11-24T07:30Z")]);
        decisions.Select(d => d.Reasons).Should().Equal("hourly 1 (2026-11-24 10:00+00:00)", "", "hourly 2 (2026-11-24 08:00+00:00)", "");
    }

    [Fact]
    public void KeepWeekly_uses_iso_weeks_with_their_iso_year_across_year_ends()
    {
        // 2020 has 53 ISO weeks: Thu 2020-12-31 and Sun 2021-01-03 are both in 2020-W53; Mon 2021-01-04 starts 2021-W01.
        var decisions = Decide(new RetentionPolicy { KeepWeekly = 3 },
            [At("2021-01-04T09:00Z"), At("2021-01-03T09:00Z"), At("2020-12-31T09:00Z"), At("2020-12-27T09:00Z"), At("2020-12-20T09:00Z")]);
        decisions.Select(d => d.Reasons).Should().Equal("weekly 1 (2021-W01)", "weekly 2 (2020-W53)", "", "weekly 3 (2020-W52)", "");

        // Mon 2024-12-30 already belongs to 2025-W01, Sun 2024-12-29 to 2024-W52.
        Decide(new RetentionPolicy { KeepWeekly = 5 }, [At("2025-01-05T09:00Z"), At("2024-12-30T09:00Z"), At("2024-12-29T09:00Z")])
            .Select(d => d.Reasons).Should().Equal("weekly 1 (2025-W01)", "", "weekly 2 (2024-W52)");
    }

    [Fact]
    public void KeepMonthly_and_KeepYearly_handle_leap_days()
    {
        var snapshots = new[] { At("2024-03-01T00:00Z"), At("2024-02-29T23:00Z"), At("2024-02-29T01:00Z"), At("2024-02-28T12:00Z"), At("2023-02-28T12:00Z"), At("2022-06-01T00:00Z") };
        Decide(new RetentionPolicy { KeepMonthly = 3 }, snapshots).Select(d => d.Reasons).Should().Equal(
            "monthly 1 (2024-03)", "monthly 2 (2024-02)", "", "", "monthly 3 (2023-02)", "");
        Decide(new RetentionPolicy { KeepYearly = 2 }, snapshots).Select(d => d.Reasons).Should().Equal(
            "yearly 1 (2024)", "", "", "", "yearly 2 (2023)", "");
        Decide(new RetentionPolicy { KeepDaily = 2 }, snapshots).Select(d => d.Reasons).Should().Equal(
            "daily 1 (2024-03-01)", "daily 2 (2024-02-29)", "", "", "", "");
    }

    [Fact]
    public void Buckets_are_computed_in_the_policy_time_zone_not_in_the_recorded_offset()
    {
        // 22:30Z and 23:30Z on 2026-01-10 are one UTC day but two Berlin days (23:30 and 00:30 CET).
        // KeepDaily = 2 leaves no slot over in either zone, so the oldest-snapshot rule plays no part.
        var snapshots = new[] { At("2026-01-11T00:30+01:00"), At("2026-01-10T22:30Z"), At("2026-01-01T12:00Z") };
        KeptTimes(new RetentionPolicy { KeepDaily = 2 }, snapshots).Should().Equal("2026-01-01 12:00", "2026-01-10 23:30");
        Decide(new RetentionPolicy { KeepDaily = 2, TimeZone = Berlin }, snapshots).Select(d => d.Reasons).Should().Equal(
            "daily 1 (2026-01-11)", "daily 2 (2026-01-10)", "");
    }

    [Fact]
    public void A_23_hour_spring_forward_day_in_Berlin_is_one_day()
    {
        // 2026-03-29: 00:30 CET (= 2026-03-28T23:30Z) and 23:30 CEST (= 21:30Z) are the first and last minutes of one local day.
        var decisions = Decide(new RetentionPolicy { KeepDaily = 2, TimeZone = Berlin },
            [At("2026-03-29T21:30Z"), At("2026-03-28T23:30Z"), At("2026-03-28T22:30Z")]);
        decisions.Select(d => d.Reasons).Should().Equal("daily 1 (2026-03-29)", "", "daily 2 (2026-03-28)");
    }

    [Fact]
    public void A_25_hour_fall_back_day_in_Berlin_is_one_day()
    {
        // 2026-10-25: 00:10 CEST (= 10-24T22:10Z) to 23:50 CET (= 10-25T22:50Z) spans 24 h 40 min, still one day.
        var decisions = Decide(new RetentionPolicy { KeepDaily = 2, TimeZone = Berlin },
            [At("2026-10-25T22:50Z"), At("2026-10-24T22:10Z"), At("2026-10-24T21:50Z")]);
        decisions.Select(d => d.Reasons).Should().Equal("daily 1 (2026-10-25)", "", "daily 2 (2026-10-24)");
    }

    [Fact]
    public void A_fall_back_day_in_New_York_is_one_day_though_it_spans_two_utc_dates()
    {
        // 2026-11-01: 00:30 EDT (04:30Z) and 23:30 EST (2026-11-02T04:30Z).
        var snapshots = new[] { At("2026-11-02T04:30Z"), At("2026-11-01T04:30Z"), At("2026-10-31T12:00Z") };
        Decide(new RetentionPolicy { KeepDaily = 2, TimeZone = NewYork }, snapshots).Select(d => d.Reasons).Should().Equal(
            "daily 1 (2026-11-01)", "", "daily 2 (2026-10-31)");
        Decide(new RetentionPolicy { KeepDaily = 2 }, snapshots).Select(d => d.Reasons).Should().Equal(
            "daily 1 (2026-11-02)", "daily 2 (2026-11-01)", "");
    }

    [Fact]
    public void A_spring_forward_day_in_New_York_is_one_day()
    {
        // 2026-03-08 is 23 hours long: 00:15 EST (05:15Z) to 23:45 EDT (2026-03-09T03:45Z).
        Decide(new RetentionPolicy { KeepDaily = 1, TimeZone = NewYork }, [At("2026-03-09T03:45Z"), At("2026-03-08T05:15Z")])
            .Select(d => d.Reasons).Should().Equal("daily 1 (2026-03-08)", "");
    }

    [Fact]
    public void The_hour_repeated_when_clocks_go_back_is_two_hourly_buckets()
    {
        // Berlin 2026-10-25: 02:30 CEST (00:30Z), then 02:30 CET (01:30Z).
        Decide(new RetentionPolicy { KeepHourly = 3, TimeZone = Berlin }, [At("2026-10-25T01:45Z"), At("2026-10-25T01:30Z"), At("2026-10-25T00:30Z")])
            .Select(d => d.Reasons).Should().Equal("hourly 1 (2026-10-25 02:00+01:00)", "", "hourly 2 (2026-10-25 02:00+02:00)");
    }

    [Fact]
    public void Weeks_follow_the_local_date_around_new_year()
    {
        // 2026-01-04T23:30Z is Sunday in UTC (2026-W01) but Monday 00:30 in Berlin (2026-W02).
        // KeepWeekly = 2 leaves no slot over in either zone, so the oldest-snapshot rule plays no part.
        var snapshots = new[] { At("2026-01-04T23:30Z"), At("2026-01-04T12:00Z"), At("2025-06-01T12:00Z") };
        KeptTimes(new RetentionPolicy { KeepWeekly = 2 }, snapshots).Should().Equal("2025-06-01 12:00", "2026-01-04 23:30");
        KeptTimes(new RetentionPolicy { KeepWeekly = 2, TimeZone = Berlin }, snapshots).Should().Equal("2026-01-04 12:00", "2026-01-04 23:30");
    }

    [Fact]
    public void KeepWithin_counts_back_from_the_newest_snapshot_not_from_now()
    {
        // The host stopped backing up a year before "now"; its last week survives anyway.
        var now = DateTimeOffset.Parse("2027-12-01T00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        // The boundary itself is outside, as in restic (ResticRulesTests).
        var decisions = Decide(new RetentionPolicy { KeepWithin = TimeSpan.FromDays(7) },
            [At("2026-12-01T00:00Z"), At("2026-11-24T00:01Z"), At("2026-11-23T23:59Z")], now);
        decisions.Select(d => d.Reasons).Should().Equal("within 7d", "within 7d", "");
    }

    [Fact]
    public void KeepWithinDaily_keeps_one_per_day_inside_the_window()
    {
        var decisions = Decide(new RetentionPolicy { KeepWithinDaily = TimeSpan.FromDays(2) },
            [At("2026-11-24T18:00Z"), At("2026-11-24T06:00Z"), At("2026-11-23T06:00Z"), At("2026-11-22T18:01Z"), At("2026-11-22T17:59Z"), At("2026-11-21T18:00Z")]);
        decisions.Select(d => d.Reasons).Should().Equal(
            "daily within 2d (2026-11-24)", "", "daily within 2d (2026-11-23)", "daily within 2d (2026-11-22)", "", "");
    }

    [Fact]
    public void KeepWithin_other_buckets_keep_one_per_bucket_inside_the_window()
    {
        var snapshots = new[] { At("2026-11-24T10:30Z"), At("2026-11-24T10:10Z"), At("2026-11-24T09:00Z"), At("2026-11-10T00:00Z"), At("2026-10-30T00:00Z"), At("2025-12-31T00:00Z") };
        KeptTimes(new RetentionPolicy { KeepWithinHourly = TimeSpan.FromHours(2) }, snapshots).Should().Equal("2026-11-24 09:00", "2026-11-24 10:30");
        KeptTimes(new RetentionPolicy { KeepWithinWeekly = TimeSpan.FromDays(15) }, snapshots).Should().Equal("2026-11-10 00:00", "2026-11-24 10:30");
        KeptTimes(new RetentionPolicy { KeepWithinMonthly = TimeSpan.FromDays(40) }, snapshots).Should().Equal("2026-10-30 00:00", "2026-11-24 10:30");
        KeptTimes(new RetentionPolicy { KeepWithinYearly = TimeSpan.FromDays(400) }, snapshots).Should().Equal("2025-12-31 00:00", "2026-11-24 10:30");
    }

    [Fact]
    public void KeepTags_keeps_snapshots_carrying_every_tag_of_any_set()
    {
        var decisions = Decide(new RetentionPolicy { KeepTags = [["prod"], ["db", "monthly"]] },
        [
            At("2026-01-05T00:00Z", tags: ["prod"]),
            At("2026-01-04T00:00Z", tags: ["db"]),
            At("2026-01-03T00:00Z", tags: ["monthly", "db", "x"]),
            At("2026-01-02T00:00Z", tags: ["Prod"]),
            At("2026-01-01T00:00Z", tags: ["prod", "db", "monthly"]),
        ]);
        decisions.Select(d => d.Reasons).Should().Equal("tag prod", "", "tags db+monthly", "", "tag prod; tags db+monthly");
    }

    [Fact]
    public void Pinned_snapshots_are_never_removed()
    {
        var decisions = Decide(new RetentionPolicy { KeepLast = 1 },
            [At("2026-01-03T00:00Z"), At("2026-01-02T00:00Z"), At("2026-01-01T00:00Z", pinned: true)]);
        decisions.Select(d => d.Reasons).Should().Equal("last 1", "", "pinned");
    }

    [Fact]
    public void A_pinned_snapshot_also_counts_as_its_buckets_snapshot()
    {
        var decisions = Decide(new RetentionPolicy { KeepDaily = 1 }, [At("2026-01-03T12:00Z", pinned: true), At("2026-01-03T06:00Z")]);
        decisions.Select(d => d.Reasons).Should().Equal("daily 1 (2026-01-03); pinned", "");
    }

    [Fact]
    public void Future_dated_snapshots_are_kept_and_take_no_part_in_the_rules()
    {
        var now = DateTimeOffset.Parse("2026-06-01T12:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var snapshots = new[] { At("2099-01-01T00:00Z"), At("2026-06-01T12:00:01Z"), At("2026-06-01T12:00Z"), At("2026-05-31T12:00Z"), At("2026-05-20T12:00Z") };

        // Neither the last slot nor the daily slot goes to the snapshots from the future.
        Decide(new RetentionPolicy { KeepLast = 1 }, snapshots, now).Select(d => d.Reasons).Should().Equal(
            "future-dated", "future-dated", "last 1", "", "");
        Decide(new RetentionPolicy { KeepDaily = 1 }, snapshots, now).Select(d => d.Reasons).Should().Equal(
            "future-dated", "future-dated", "daily 1 (2026-06-01)", "", "");

        // KeepWithin is anchored at the newest snapshot that is not in the future: a 2099 clock must not remove everything.
        Decide(new RetentionPolicy { KeepWithin = TimeSpan.FromDays(2) }, snapshots, now).Select(d => d.Reasons).Should().Equal(
            "future-dated", "future-dated", "within 2d", "within 2d", "");
    }

    [Fact]
    public void A_group_of_only_future_snapshots_keeps_them_all()
    {
        var decisions = Decide(new RetentionPolicy { KeepLast = 1 }, [At("2030-01-02T00:00Z"), At("2030-01-01T00:00Z")], DateTimeOffset.UnixEpoch);
        decisions.Select(d => d.Reasons).Should().Equal("future-dated", "future-dated");
    }

    [Fact]
    public void Rules_combine_by_or_and_every_rule_adds_its_reason()
    {
        var decisions = Decide(new RetentionPolicy { KeepLast = 1, KeepDaily = 2, KeepMonthly = 1, KeepWithin = TimeSpan.FromHours(1) },
            [At("2026-11-24T18:00Z"), At("2026-11-24T17:30Z"), At("2026-11-23T18:00Z"), At("2026-10-01T00:00Z")]);
        decisions.Select(d => d.Reasons).Should().Equal(
            "last 1; daily 1 (2026-11-24); monthly 1 (2026-11); within 1h",
            "within 1h",
            "daily 2 (2026-11-23)",
            "");
    }

    [Fact]
    public void Equal_times_are_ordered_by_id_so_decisions_are_deterministic()
    {
        var a = At("2026-01-01T00:00Z", discriminator: 1);
        var b = At("2026-01-01T00:00Z", discriminator: 2);
        var first = RetentionEvaluator.Evaluate([a, b], new RetentionPolicy { KeepLast = 1 }, FarFuture)[0].Kept.Single().Snapshot;
        var second = RetentionEvaluator.Evaluate([b, a], new RetentionPolicy { KeepLast = 1 }, FarFuture)[0].Kept.Single().Snapshot;
        first.Should().Be(second);
        first.Id.Should().Be(a.Id > b.Id ? a.Id : b.Id);
    }

    [Fact]
    public void Groups_split_by_host_kind_and_paths_by_default()
    {
        var snapshots = new[]
        {
            At("2026-01-02T00:00Z", host: "a"), At("2026-01-01T00:00Z", host: "a"),
            At("2026-01-02T00:00Z", host: "b"), At("2026-01-01T00:00Z", host: "b"),
            At("2026-01-02T00:00Z", host: "a", kind: "postgresql"),
            At("2026-01-01T00:00Z", host: "a", paths: ["/etc", "/srv"]), At("2026-01-03T00:00Z", host: "a", paths: ["/srv", "/etc"]),
        };
        var groups = RetentionEvaluator.Evaluate(snapshots, new RetentionPolicy { KeepLast = 1 }, FarFuture);
        groups.Select(g => (g.Key.ToString(), g.Kept.Count(), g.Removed.Count())).Should().BeEquivalentTo(new[]
        {
            ("host=a kind=files paths=[/etc, /srv]", 1, 1),
            ("host=a kind=files paths=[/srv]", 1, 1),
            ("host=a kind=postgresql paths=[/srv]", 1, 0),
            ("host=b kind=files paths=[/srv]", 1, 1),
        });
    }

    [Fact]
    public void Grouping_can_be_by_tags_or_nothing()
    {
        var snapshots = new[]
        {
            At("2026-01-03T00:00Z", host: "a", tags: ["x", "y"]), At("2026-01-02T00:00Z", host: "b", tags: ["y", "x"]),
            At("2026-01-01T00:00Z", host: "a", tags: ["z"]),
        };
        var byTags = RetentionEvaluator.Evaluate(snapshots, new RetentionPolicy { KeepLast = 1, GroupBy = SnapshotGrouping.Tags }, FarFuture);
        byTags.Select(g => g.Key.ToString()).Should().Equal("tags=[x, y]", "tags=[z]");
        byTags[0].Key.Should().Be(new RetentionGroupKey { Tags = ["x", "y"] });
        byTags.SelectMany(g => g.Kept).Should().HaveCount(2);

        var all = RetentionEvaluator.Evaluate(snapshots, new RetentionPolicy { KeepLast = 1, GroupBy = SnapshotGrouping.None }, FarFuture);
        all.Should().ContainSingle().Which.Key.ToString().Should().Be("all snapshots");
        all[0].Kept.Should().ContainSingle().Which.Snapshot.Hostname.Should().Be("a");
    }

    [Fact]
    public void No_snapshots_means_no_groups()
    {
        RetentionEvaluator.Evaluate([], RetentionPolicy.Standard, FarFuture).Should().BeEmpty();
    }
}
