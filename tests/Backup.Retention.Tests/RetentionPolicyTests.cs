using Backup.Core.Retention;

namespace Backup.Retention.Tests;

public class RetentionPolicyTests
{
    [Fact]
    public void An_empty_policy_is_refused_because_it_would_remove_everything()
    {
        var act = () => new RetentionPolicy().Validate();
        act.Should().Throw<ArgumentException>().WithMessage("*no rule*remove every snapshot*");
    }

    [Fact]
    public void The_evaluator_refuses_an_empty_policy_before_deciding_anything()
    {
        var act = () => RetentionEvaluator.Evaluate([TestSnapshots.At("2026-01-01T00:00Z")], new RetentionPolicy(), TestSnapshots.FarFuture);
        act.Should().Throw<ArgumentException>().WithMessage("*no rule*");
    }

    [Theory]
    [InlineData(nameof(RetentionPolicy.KeepLast), 0)]
    [InlineData(nameof(RetentionPolicy.KeepHourly), -1)]
    [InlineData(nameof(RetentionPolicy.KeepDaily), 0)]
    [InlineData(nameof(RetentionPolicy.KeepWeekly), -5)]
    [InlineData(nameof(RetentionPolicy.KeepMonthly), 0)]
    [InlineData(nameof(RetentionPolicy.KeepYearly), -1)]
    public void Zero_or_negative_counts_are_refused_naming_the_setting(string setting, int value)
    {
        var policy = setting switch
        {
            nameof(RetentionPolicy.KeepLast) => new RetentionPolicy { KeepLast = value },
            nameof(RetentionPolicy.KeepHourly) => new RetentionPolicy { KeepHourly = value },
            nameof(RetentionPolicy.KeepDaily) => new RetentionPolicy { KeepDaily = value },
            nameof(RetentionPolicy.KeepWeekly) => new RetentionPolicy { KeepWeekly = value },
            nameof(RetentionPolicy.KeepMonthly) => new RetentionPolicy { KeepMonthly = value },
            _ => new RetentionPolicy { KeepYearly = value },
        };
        var act = policy.Validate;
        act.Should().Throw<ArgumentException>().Which.ParamName.Should().Be(setting);
    }

    [Theory]
    [InlineData(nameof(RetentionPolicy.KeepWithin))]
    [InlineData(nameof(RetentionPolicy.KeepWithinHourly))]
    [InlineData(nameof(RetentionPolicy.KeepWithinDaily))]
    [InlineData(nameof(RetentionPolicy.KeepWithinWeekly))]
    [InlineData(nameof(RetentionPolicy.KeepWithinMonthly))]
    [InlineData(nameof(RetentionPolicy.KeepWithinYearly))]
    public void Zero_or_negative_durations_are_refused_naming_the_setting(string setting)
    {
        foreach (var value in new[] { TimeSpan.Zero, TimeSpan.FromHours(-1) })
        {
            var policy = setting switch
            {
                nameof(RetentionPolicy.KeepWithin) => new RetentionPolicy { KeepWithin = value },
                nameof(RetentionPolicy.KeepWithinHourly) => new RetentionPolicy { KeepWithinHourly = value },
                nameof(RetentionPolicy.KeepWithinDaily) => new RetentionPolicy { KeepWithinDaily = value },
                nameof(RetentionPolicy.KeepWithinWeekly) => new RetentionPolicy { KeepWithinWeekly = value },
                nameof(RetentionPolicy.KeepWithinMonthly) => new RetentionPolicy { KeepWithinMonthly = value },
                _ => new RetentionPolicy { KeepWithinYearly = value },
            };
            var act = policy.Validate;
            act.Should().Throw<ArgumentException>().Which.ParamName.Should().Be(setting);
        }
    }

    [Fact]
    public void An_empty_tag_set_is_refused_because_every_snapshot_would_match_it()
    {
        var act = new RetentionPolicy { KeepTags = [["prod"], []] }.Validate;
        act.Should().Throw<ArgumentException>().Which.ParamName.Should().Be(nameof(RetentionPolicy.KeepTags));

        act = new RetentionPolicy { KeepTags = [[""]] }.Validate;
        act.Should().Throw<ArgumentException>().Which.ParamName.Should().Be(nameof(RetentionPolicy.KeepTags));
    }

    [Fact]
    public void Missing_time_zone_and_unknown_grouping_flags_are_refused()
    {
        var act = new RetentionPolicy { KeepLast = 1, TimeZone = null! }.Validate;
        act.Should().Throw<ArgumentException>().Which.ParamName.Should().Be(nameof(RetentionPolicy.TimeZone));

        act = new RetentionPolicy { KeepLast = 1, GroupBy = (SnapshotGrouping)64 }.Validate;
        act.Should().Throw<ArgumentException>().Which.ParamName.Should().Be(nameof(RetentionPolicy.GroupBy));
    }

    [Fact]
    public void Defaults_are_utc_and_host_kind_paths_grouping()
    {
        var policy = new RetentionPolicy { KeepLast = 1 };
        policy.TimeZone.Should().Be(TimeZoneInfo.Utc);
        policy.GroupBy.Should().Be(SnapshotGrouping.Host | SnapshotGrouping.SourceKind | SnapshotGrouping.Paths);
        policy.KeepTags.Should().BeEmpty();
    }

    [Fact]
    public void Gfs_sets_the_four_levels_and_validates()
    {
        var policy = RetentionPolicy.Gfs(daily: 7, weekly: 4, monthly: 12, yearly: 3);
        (policy.KeepDaily, policy.KeepWeekly, policy.KeepMonthly, policy.KeepYearly).Should().Be((7, 4, 12, 3));
        policy.KeepLast.Should().BeNull();
        var defaults = RetentionPolicy.Gfs();
        (defaults.KeepDaily, defaults.KeepWeekly, defaults.KeepMonthly, defaults.KeepYearly).Should().Be((7, 4, 12, 3));

        var act = () => RetentionPolicy.Gfs(daily: 0);
        act.Should().Throw<ArgumentException>().Which.ParamName.Should().Be(nameof(RetentionPolicy.KeepDaily));
        act = () => RetentionPolicy.Gfs(null, null, null, null);
        act.Should().Throw<ArgumentException>().WithMessage("*no rule*");

        RetentionPolicy.Gfs(timeZone: TestSnapshots.Berlin).TimeZone.Id.Should().Be("Europe/Berlin");
    }

    [Fact]
    public void Named_presets_are_valid()
    {
        foreach (var preset in new[] { RetentionPolicy.Standard, RetentionPolicy.Frequent, RetentionPolicy.LongTerm })
        {
            preset.Validate();
            preset.HasRules.Should().BeTrue();
        }

        RetentionPolicy.Standard.ToString().Should().StartWith("last 3, daily 7, weekly 4, monthly 12, yearly 3");
        RetentionPolicy.Frequent.KeepHourly.Should().Be(24);
    }

    [Fact]
    public void ToString_describes_the_rules()
    {
        var policy = new RetentionPolicy { KeepWithin = TimeSpan.FromHours(36), KeepWithinDaily = TimeSpan.FromDays(7), KeepTags = [["db", "prod"]] };
        policy.ToString().Should().Be("within 1d12h, daily within 7d, tag db+prod (zone UTC, by host+kind+paths)");
    }
}
