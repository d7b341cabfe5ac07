using System.Globalization;
using Backup.Core.Snapshots;

namespace Backup.Core.Retention;

/// <summary>
/// Decides which snapshots a <see cref="RetentionPolicy"/> keeps. Pure: no I/O, no clock (the caller passes now).
/// </summary>
/// <remarks>
/// <para>Semantics (also in <c>docs/retention.md</c>):</para>
/// <list type="number">
/// <item>Snapshots are split into groups by <see cref="RetentionPolicy.GroupBy"/>; each group is evaluated alone.</item>
/// <item>Snapshots dated after <c>now</c> are always kept ("future-dated") and take no part in the rules: a
/// snapshot from a machine whose clock is years ahead must neither use up a daily slot nor move the
/// <see cref="RetentionPolicy.KeepWithin"/> anchor into the future (which would remove everything else).</item>
/// <item>The other snapshots are sorted newest first (ties: higher ID first, so the order is deterministic).</item>
/// <item><see cref="RetentionPolicy.KeepLast"/> keeps the first N.</item>
/// <item>Each bucket rule (hourly, daily, weekly, monthly, yearly) walks newest → oldest and keeps a snapshot when
/// its bucket has not been seen yet by that rule, until N buckets are used. Hence it keeps the newest snapshot of
/// each of the N newest buckets that hold a snapshot: periods without a snapshot use up no slot. Buckets are
/// computed from the snapshot's time converted to <see cref="RetentionPolicy.TimeZone"/>: local calendar date
/// for days (a 23- or 25-hour DST day is one day), ISO week with its ISO year (<see cref="ISOWeek"/>; 2021-01-01
/// is in 2020-W53), month and year of the local date, and local hour plus offset for hours (the repeated hour when
/// clocks go back is two buckets). "Not seen yet" rather than "differs from the previous one" keeps a day
/// counted once even in zones whose clocks go back across midnight.</item>
/// <item>When a bucket rule's N slots are not all used, it keeps the group's oldest snapshot too, even when that
/// shares a bucket with a kept one (reason "oldest daily (…)"), as restic 0.16 and later do: the longest history the
/// count allows.</item>
/// <item><see cref="RetentionPolicy.KeepWithin"/> keeps every snapshot whose time is strictly after
/// <c>newest − duration</c> (restic's boundary), measured back from the group's newest (not future-dated) snapshot,
/// not from now: a host that stopped backing up keeps its last snapshots instead of losing them all once they age
/// out. Calendar years, months and days count back on the calendar of <see cref="RetentionPolicy.TimeZone"/>
/// (see <see cref="RetentionDuration"/>).</item>
/// <item>Keep-within-bucket rules (e.g. <see cref="RetentionPolicy.KeepWithinDaily"/>, as restic's
/// <c>--keep-within-daily</c>) keep the newest snapshot of every bucket among the snapshots in that window, and the
/// group's oldest snapshot when it lies in the window.</item>
/// <item><see cref="RetentionPolicy.KeepTags"/> keeps a snapshot carrying every tag of at least one set.</item>
/// <item>Pinned snapshots (<see cref="Snapshot.Pinned"/>) are always kept. They take part in the rules like any
/// other snapshot (a pinned snapshot can be the day's daily one).</item>
/// <item>Rules combine by OR; a snapshot no rule keeps is removed. Every rule that keeps a snapshot adds a reason.</item>
/// </list>
/// </remarks>
public static class RetentionEvaluator
{
    /// <summary>Evaluates <paramref name="policy"/> over <paramref name="snapshots"/>.</summary>
    /// <param name="snapshots">The snapshots, in any order.</param>
    /// <param name="policy">The policy; validated first.</param>
    /// <param name="now">The current time; snapshots dated after it are kept as future-dated.</param>
    /// <returns>One group per distinct group key (ordered by key), each with one decision per snapshot, newest first.</returns>
    /// <exception cref="ArgumentException">The policy is invalid or has no rule.</exception>
    public static IReadOnlyList<RetentionGroup> Evaluate(IEnumerable<Snapshot> snapshots, RetentionPolicy policy, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(snapshots);
        ArgumentNullException.ThrowIfNull(policy);
        policy.Validate();

        return snapshots
            .GroupBy(s => RetentionGroupKey.For(s, policy.GroupBy))
            .Select(g => EvaluateGroup(g.Key, [.. g], policy, now))
            .OrderBy(g => g.Key.ToString(), StringComparer.Ordinal)
            .ToList();
    }

    private static RetentionGroup EvaluateGroup(RetentionGroupKey key, List<Snapshot> snapshots, RetentionPolicy policy, DateTimeOffset now)
    {
        var ordered = snapshots
            .OrderByDescending(s => s.Time)
            .ThenByDescending(s => s.Id)
            .ToList();
        var reasons = ordered.Select(_ => new List<string>()).ToArray();

        // Indexes (into ordered) of the snapshots the rules look at: everything not dated in the future.
        var candidates = new List<int>(ordered.Count);
        for (var i = 0; i < ordered.Count; i++)
        {
            if (ordered[i].Time > now)
            {
                reasons[i].Add("future-dated");
            }
            else
            {
                candidates.Add(i);
            }
        }

        if (ordered.Count > 0)
        {
            ApplyRules(ordered, candidates, reasons, policy);
        }

        for (var i = 0; i < ordered.Count; i++)
        {
            if (ordered[i].Pinned)
            {
                reasons[i].Add("pinned");
            }
        }

        var decisions = ordered
            .Select((s, i) => new RetentionDecision { Snapshot = s, Action = reasons[i].Count > 0 ? RetentionAction.Keep : RetentionAction.Remove, Reasons = reasons[i] })
            .ToList();
        return new RetentionGroup { Key = key, Decisions = decisions };
    }

    private static void ApplyRules(List<Snapshot> ordered, List<int> candidates, List<string>[] reasons, RetentionPolicy policy)
    {
        if (candidates.Count == 0)
        {
            return;
        }

        if (policy.KeepLast is { } last)
        {
            for (var n = 0; n < Math.Min(last, candidates.Count); n++)
            {
                reasons[candidates[n]].Add(string.Create(CultureInfo.InvariantCulture, $"last {n + 1}"));
            }
        }

        KeepBuckets(CalendarUnit.Hour, policy.KeepHourly);
        KeepBuckets(CalendarUnit.Day, policy.KeepDaily);
        KeepBuckets(CalendarUnit.Week, policy.KeepWeekly);
        KeepBuckets(CalendarUnit.Month, policy.KeepMonthly);
        KeepBuckets(CalendarUnit.Year, policy.KeepYearly);

        // The anchor is the newest snapshot the rules look at; future-dated ones are excluded above.
        var newest = ordered[candidates[0]].Time;
        if (policy.KeepWithin is { } within)
        {
            var label = "within " + within;
            var boundary = within.Before(newest, policy.TimeZone);
            foreach (var i in candidates.Where(i => ordered[i].Time > boundary))
            {
                reasons[i].Add(label);
            }
        }

        KeepBucketsWithin(CalendarUnit.Hour, policy.KeepWithinHourly);
        KeepBucketsWithin(CalendarUnit.Day, policy.KeepWithinDaily);
        KeepBucketsWithin(CalendarUnit.Week, policy.KeepWithinWeekly);
        KeepBucketsWithin(CalendarUnit.Month, policy.KeepWithinMonthly);
        KeepBucketsWithin(CalendarUnit.Year, policy.KeepWithinYearly);

        foreach (var set in policy.KeepTags)
        {
            var label = (set.Count == 1 ? "tag " : "tags ") + string.Join('+', set);
            foreach (var i in candidates.Where(i => set.All(tag => ordered[i].Tags.Contains(tag, StringComparer.Ordinal))))
            {
                reasons[i].Add(label);
            }
        }

        void KeepBuckets(CalendarUnit unit, int? count)
        {
            if (count is not { } slots)
            {
                return;
            }

            var seen = new HashSet<string>(StringComparer.Ordinal);
            var oldest = candidates[^1];
            foreach (var i in candidates)
            {
                var bucket = CalendarBucket.Label(ordered[i].Time, policy.TimeZone, unit);
                if (seen.Add(bucket))
                {
                    reasons[i].Add(string.Create(CultureInfo.InvariantCulture, $"{CalendarBucket.RuleName(unit)} {seen.Count} ({bucket})"));
                    if (seen.Count == slots)
                    {
                        return;
                    }
                }
                else if (i == oldest)
                {
                    // Slots are left over: keep the oldest snapshot too, for the longest history the count allows (restic 0.16).
                    reasons[i].Add($"oldest {CalendarBucket.RuleName(unit)} ({bucket})");
                }
            }
        }

        void KeepBucketsWithin(CalendarUnit unit, RetentionDuration? window)
        {
            if (window is not { } duration)
            {
                return;
            }

            var name = $"{CalendarBucket.RuleName(unit)} within {duration}";
            var boundary = duration.Before(newest, policy.TimeZone);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var oldest = candidates[^1];
            foreach (var i in candidates)
            {
                if (ordered[i].Time <= boundary)
                {
                    break; // Newest first: every later candidate is older still.
                }

                var bucket = CalendarBucket.Label(ordered[i].Time, policy.TimeZone, unit);
                if (seen.Add(bucket))
                {
                    reasons[i].Add($"{name} ({bucket})");
                }
                else if (i == oldest)
                {
                    // The whole group lies within the window: keep its oldest snapshot too, as restic 0.16 does.
                    reasons[i].Add($"oldest {name} ({bucket})");
                }
            }
        }
    }
}
