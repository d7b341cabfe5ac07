using System.Globalization;
using Backup.Core.Repository;
using Backup.Core.Retention;
using Backup.Core.Snapshots;

namespace Backup.Retention.Tests;

/// <summary>
/// Random snapshot histories around DST changes, year ends and leap days, checked against a reference model
/// small enough to be obviously right: per rule, group by bucket, take the newest per bucket, take the N newest buckets.
/// </summary>
public class RetentionPropertyTests
{
    private static readonly IReadOnlyList<string> ZoneIds = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "Pacific/Chatham"];

    // Each anchor with the zone whose transition it sits on; cases mostly use that zone, sometimes another.
    private static readonly IReadOnlyList<(DateTimeOffset Time, string Zone)> Anchors =
    [
        (new(2024, 3, 31, 1, 0, 0, TimeSpan.Zero), "Europe/Berlin"),          // spring forward
        (new(2024, 10, 27, 1, 0, 0, TimeSpan.Zero), "Europe/Berlin"),         // fall back: 02:00-03:00 twice
        (new(2024, 3, 10, 7, 0, 0, TimeSpan.Zero), "America/New_York"),       // spring forward
        (new(2024, 11, 3, 6, 0, 0, TimeSpan.Zero), "America/New_York"),       // fall back, day spans two UTC dates
        (new(2024, 4, 6, 15, 0, 0, TimeSpan.Zero), "Australia/Lord_Howe"),    // fall back by 30 minutes
        (new(2024, 4, 6, 14, 0, 0, TimeSpan.Zero), "Pacific/Chatham"),        // fall back at +13:45
        (new(2020, 12, 31, 23, 0, 0, TimeSpan.Zero), "UTC"),                  // 2020 has ISO week 53
        (new(2026, 12, 31, 23, 30, 0, TimeSpan.Zero), "Europe/Berlin"),       // 2026 has ISO week 53; new year in Berlin first
        (new(2024, 12, 30, 0, 0, 0, TimeSpan.Zero), "America/New_York"),      // 2024-12-30 is in 2025-W01
        (new(2024, 2, 29, 12, 0, 0, TimeSpan.Zero), "Asia/Kolkata"),          // leap day
        (new(2028, 2, 29, 23, 45, 0, TimeSpan.Zero), "UTC"),                  // leap day, late
    ];

    public static TheoryData<int> Batches() => [0, 1, 2, 3, 4, 5, 6, 7];

    [Theory]
    [MemberData(nameof(Batches))]
    public void The_evaluator_keeps_exactly_what_the_reference_model_keeps(int batch)
    {
        const int CasesPerBatch = 50;
        int removedTotal = 0, futureTotal = 0;
        for (var seed = batch * CasesPerBatch; seed < (batch + 1) * CasesPerBatch; seed++)
        {
            var random = new Random(seed);
            var (anchor, anchorZone) = Anchors[random.Next(Anchors.Count)];
            var zone = TimeZoneInfo.FindSystemTimeZoneById(random.Next(4) == 0 ? ZoneIds[random.Next(ZoneIds.Count)] : anchorZone);
            var snapshots = History(random, anchor);
            var policy = RandomPolicy(random, zone);
            var now = anchor + TimeSpan.FromHours(random.Next(-72, 24 * 30));

            var groups = RetentionEvaluator.Evaluate(snapshots, policy, now);
            var kept = groups.SelectMany(g => g.Kept).Select(d => d.Snapshot.Id).ToHashSet();
            var expected = ReferenceKept(snapshots, policy, now);

            var context = $"seed {seed}: {policy} with {snapshots.Count} snapshots around {anchor:O}, now {now:O}";
            if (!kept.SetEquals(expected))
            {
                Assert.Fail($"{context}: kept {kept.Count}, reference {expected.Count}; only evaluator: {string.Join(", ", kept.Except(expected).Select(Describe))}; only reference: {string.Join(", ", expected.Except(kept).Select(Describe))}");
            }

            removedTotal += snapshots.Count - kept.Count;
            futureTotal += snapshots.Count(s => s.Time > now);
            groups.SelectMany(g => g.Decisions).Should().HaveCount(snapshots.Count, context);
            groups.SelectMany(g => g.Decisions).All(d => d.IsKept == (d.Reasons.Count > 0)).Should().BeTrue(context);
            foreach (var group in groups)
            {
                group.Decisions.Select(d => d.Snapshot.Time).Should().BeInDescendingOrder(context);
            }

            string Describe(BlobId id) => snapshots.First(s => s.Id == id).Time.ToString("O", CultureInfo.InvariantCulture);
        }

        // The generator must exercise removals and future-dated snapshots, or agreement proves little.
        removedTotal.Should().BeGreaterThan(CasesPerBatch);
        futureTotal.Should().BeGreaterThan(0);
    }

    private static List<Snapshot> History(Random random, DateTimeOffset anchor)
    {
        var count = random.Next(0, 70);
        var snapshots = new List<Snapshot>(count);
        for (var i = 0; i < count; i++)
        {
            // Mix scales so that hours, days, weeks, months and years all see several snapshots and gaps.
            var offsetMinutes = random.Next(6) switch
            {
                0 => random.Next(-3 * 60, 3 * 60),
                1 => random.Next(-12 * 60, 12 * 60),
                2 => random.Next(-5 * 24 * 60, 5 * 24 * 60),
                3 => random.Next(-60 * 24 * 60, 2 * 24 * 60),
                4 => random.Next(-400 * 24 * 60, 0),
                _ => random.Next(-5 * 365 * 24 * 60, 0),
            };
            var time = i > 0 && random.Next(20) == 0
                ? snapshots[random.Next(snapshots.Count)].Time // exact duplicates exercise the tie-break
                : anchor + TimeSpan.FromMinutes(offsetMinutes);
            string[] tags = [.. new[] { "prod", "db", "monthly" }.Where(_ => random.Next(3) == 0)];
            snapshots.Add(TestSnapshots.At(
                time,
                host: random.Next(3) == 0 ? "b" : "a",
                tags: tags,
                paths: random.Next(4) == 0 ? ["/etc"] : ["/srv"],
                pinned: random.Next(25) == 0,
                discriminator: i));
        }

        return snapshots;
    }

    private static RetentionPolicy RandomPolicy(Random random, TimeZoneInfo zone)
    {
        int? Count() => random.Next(3) == 0 ? random.Next(1, 9) : null;
        RetentionDuration? Duration() => random.Next(5) switch
        {
            0 => TimeSpan.FromMinutes(random.Next(1, 500 * 24 * 60)),
            1 => new RetentionDuration(random.Next(2), random.Next(14), random.Next(1, 40), TimeSpan.FromHours(random.Next(3))),
            _ => null,
        };

        var policy = new RetentionPolicy
        {
            KeepLast = Count(),
            KeepHourly = Count(),
            KeepDaily = Count(),
            KeepWeekly = Count(),
            KeepMonthly = Count(),
            KeepYearly = Count(),
            KeepWithin = Duration(),
            KeepWithinHourly = Duration(),
            KeepWithinDaily = Duration(),
            KeepWithinWeekly = Duration(),
            KeepWithinMonthly = Duration(),
            KeepWithinYearly = Duration(),
            KeepTags = random.Next(6) == 0 ? [["prod"], ["db", "monthly"]] : [],
            TimeZone = zone,
            GroupBy = random.Next(4) switch
            {
                0 => SnapshotGrouping.None,
                1 => SnapshotGrouping.Host | SnapshotGrouping.Tags,
                _ => SnapshotGrouping.Default,
            },
        };
        return policy.HasRules ? policy : policy with { KeepLast = random.Next(1, 5) };
    }

    private static HashSet<BlobId> ReferenceKept(List<Snapshot> snapshots, RetentionPolicy policy, DateTimeOffset now)
    {
        var zone = policy.TimeZone;
        DateTime Local(Snapshot s) => TimeZoneInfo.ConvertTimeFromUtc(s.Time.UtcDateTime, zone);
        var bucketRules = new (int? Count, RetentionDuration? Within, Func<Snapshot, object> Key)[]
        {
            (policy.KeepHourly, policy.KeepWithinHourly, s => (Local(s).Date, Local(s).Hour, zone.GetUtcOffset(s.Time))),
            (policy.KeepDaily, policy.KeepWithinDaily, s => Local(s).Date),
            (policy.KeepWeekly, policy.KeepWithinWeekly, s => (ISOWeek.GetYear(Local(s)), ISOWeek.GetWeekOfYear(Local(s)))),
            (policy.KeepMonthly, policy.KeepWithinMonthly, s => (Local(s).Year, Local(s).Month)),
            (policy.KeepYearly, policy.KeepWithinYearly, s => Local(s).Year),
        };

        var kept = new HashSet<BlobId>();
        foreach (var group in snapshots.GroupBy(s => GroupKey(s, policy.GroupBy)))
        {
            kept.UnionWith(group.Where(s => s.Pinned || s.Time > now).Select(s => s.Id));
            var past = group.Where(s => s.Time <= now).OrderByDescending(s => s.Time).ThenByDescending(s => s.Id).ToList();
            if (past.Count == 0)
            {
                continue;
            }

            var newest = past[0].Time;
            var oldest = past[^1];

            // Calendar parts back on the local calendar, clamped to the month's last day; the exact part after.
            DateTimeOffset Boundary(RetentionDuration d)
            {
                var local = TimeZoneInfo.ConvertTime(newest, zone).DateTime;
                var month = new DateTime(local.Year, local.Month, 1).AddMonths(-((12 * d.Years) + d.Months));
                var back = month.AddDays(Math.Min(local.Day, DateTime.DaysInMonth(month.Year, month.Month)) - 1).Add(local.TimeOfDay).AddDays(-d.Days);
                return new DateTimeOffset(back, zone.GetUtcOffset(back)) - d.Time;
            }

            List<Snapshot> InWindow(RetentionDuration d) => [.. past.Where(s => s.Time > Boundary(d))];
            kept.UnionWith(past.Take(policy.KeepLast ?? 0).Select(s => s.Id));
            foreach (var (count, within, key) in bucketRules)
            {
                // GroupBy keeps first-seen order, so buckets come newest first and First() is the newest of each.
                var buckets = past.GroupBy(key).ToList();
                kept.UnionWith(buckets.Take(count ?? 0).Select(b => b.First().Id));
                if (count is { } n && buckets.Count < n)
                {
                    kept.Add(oldest.Id); // restic 0.16: slots left over keep the oldest too
                }

                if (within is { } w)
                {
                    var window = InWindow(w);
                    kept.UnionWith(window.GroupBy(key).Select(b => b.First().Id));
                    if (window.Contains(oldest))
                    {
                        kept.Add(oldest.Id);
                    }
                }
            }

            if (policy.KeepWithin is { } keepWithin)
            {
                kept.UnionWith(InWindow(keepWithin).Select(s => s.Id));
            }

            kept.UnionWith(past.Where(s => policy.KeepTags.Any(set => set.All(s.Tags.Contains))).Select(s => s.Id));
        }

        return kept;
    }

    private static string GroupKey(Snapshot s, SnapshotGrouping by) => string.Join('|',
        by.HasFlag(SnapshotGrouping.Host) ? s.Hostname : "*",
        by.HasFlag(SnapshotGrouping.SourceKind) ? s.SourceKind : "*",
        by.HasFlag(SnapshotGrouping.Paths) ? string.Join(',', s.Paths.Order(StringComparer.Ordinal)) : "*",
        by.HasFlag(SnapshotGrouping.Tags) ? string.Join(',', s.Tags.Distinct().Order(StringComparer.Ordinal)) : "*");
}
