using System.CommandLine;
using Backup.Core.Retention;

namespace Backup.Cli.Commands;

/// <summary>
/// The retention policy options (<c>--keep-*</c>, <c>--gfs</c>, <c>--group-by</c>, <c>--time-zone</c>) and how they
/// make a <see cref="RetentionPolicy"/>: <c>forget</c> applies the policy, and <c>retention-lock extend</c> must be
/// given the same one so that it leaves what forget removes to lapse, so both define and read them here.
/// </summary>
internal sealed class RetentionPolicyOptions
{
    public RetentionPolicyOptions()
    {
        static Option<int?> Count(string name, string what) => new(name) { Description = $"Keep the newest snapshot of each of the last N {what} that have one.", HelpName = "N" };
        static Option<string?> Within(string name, string what) => new(name) { Description = $"Keep the newest snapshot of every {what} within DURATION before the group's newest snapshot.", HelpName = "DURATION" };

        KeepHourly = Count("--keep-hourly", "hours");
        KeepDaily = Count("--keep-daily", "days");
        KeepWeekly = Count("--keep-weekly", "ISO weeks");
        KeepMonthly = Count("--keep-monthly", "months");
        KeepYearly = Count("--keep-yearly", "years");
        KeepWithinHourly = Within("--keep-within-hourly", "hour");
        KeepWithinDaily = Within("--keep-within-daily", "day");
        KeepWithinWeekly = Within("--keep-within-weekly", "ISO week");
        KeepWithinMonthly = Within("--keep-within-monthly", "month");
        KeepWithinYearly = Within("--keep-within-yearly", "year");
        Rules =
        [
            KeepLast, KeepHourly, KeepDaily, KeepWeekly, KeepMonthly, KeepYearly, KeepWithin, KeepWithinHourly, KeepWithinDaily, KeepWithinWeekly,
            KeepWithinMonthly, KeepWithinYearly, KeepTag, Gfs, GroupBy,
        ];
    }

    public Option<int?> KeepLast { get; } = new("--keep-last") { Description = "Keep the newest N snapshots.", HelpName = "N" };

    public Option<int?> KeepHourly { get; }

    public Option<int?> KeepDaily { get; }

    public Option<int?> KeepWeekly { get; }

    public Option<int?> KeepMonthly { get; }

    public Option<int?> KeepYearly { get; }

    public Option<string?> KeepWithin { get; } = new("--keep-within")
    {
        Description = $"Keep every snapshot taken within DURATION before the group's newest snapshot ({DurationParser.RetentionHelpText}).",
        HelpName = "DURATION",
    };

    public Option<string?> KeepWithinHourly { get; }

    public Option<string?> KeepWithinDaily { get; }

    public Option<string?> KeepWithinWeekly { get; }

    public Option<string?> KeepWithinMonthly { get; }

    public Option<string?> KeepWithinYearly { get; }

    public Option<string[]> KeepTag { get; } = new("--keep-tag")
    {
        Description = "Keep snapshots carrying all of these tags (repeatable: each occurrence is one more set that keeps).",
        HelpName = "TAG[,TAG]",
    };

    public Option<bool> Gfs { get; } = new("--gfs")
    {
        Description = "Grandfather-father-son preset: --keep-daily 7 --keep-weekly 4 --keep-monthly 12 --keep-yearly 3 (a --keep-* option given as well overrides its level).",
    };

    public Option<string?> GroupBy { get; } = new("--group-by")
    {
        Description = "Evaluate the policy separately for each group of snapshots sharing these properties: a comma-separated list of host, kind, paths, tags, or 'none' (default: host,kind,paths).",
        HelpName = "PROPS",
    };

    public Option<string?> TimeZone { get; } = new("--time-zone")
    {
        Description = "IANA time zone in which hours, days, weeks, months and years are counted, e.g. Europe/Berlin or UTC (default: this machine's local zone).",
        HelpName = "ZONE",
    };

    /// <summary>The options that make up the policy's rules and grouping (not the time zone, which also says how times are shown).</summary>
    public IReadOnlyList<Option> Rules { get; }

    /// <summary>Every option, in the order help lists them.</summary>
    public IEnumerable<Option> All => Rules.Append(TimeZone);

    /// <summary>The names of the rule and grouping options given on the command line.</summary>
    public List<string> Given(CommandContext context) =>
        [.. Rules.Where(o => context.ParseResult.GetResult(o) is { Implicit: false }).Select(o => o.Name)];

    /// <summary>The <c>--time-zone</c> given, or this machine's.</summary>
    public TimeZoneInfo Zone(CommandContext context) => ParseTimeZone(context.Get(TimeZone));

    /// <summary>The policy the options describe, validated.</summary>
    /// <exception cref="CliUsageException">No rule was given, or a value is invalid.</exception>
    public RetentionPolicy Build(CommandContext context)
    {
        RetentionDuration? Duration(Option<string?> option) => context.Get(option) is { } text ? DurationParser.ParseRetention(text, option.Name) : null;

        var preset = context.Get(Gfs);
        var policy = new RetentionPolicy
        {
            KeepLast = context.Get(KeepLast),
            KeepHourly = context.Get(KeepHourly),
            KeepDaily = context.Get(KeepDaily) ?? (preset ? 7 : null),
            KeepWeekly = context.Get(KeepWeekly) ?? (preset ? 4 : null),
            KeepMonthly = context.Get(KeepMonthly) ?? (preset ? 12 : null),
            KeepYearly = context.Get(KeepYearly) ?? (preset ? 3 : null),
            KeepWithin = Duration(KeepWithin),
            KeepWithinHourly = Duration(KeepWithinHourly),
            KeepWithinDaily = Duration(KeepWithinDaily),
            KeepWithinWeekly = Duration(KeepWithinWeekly),
            KeepWithinMonthly = Duration(KeepWithinMonthly),
            KeepWithinYearly = Duration(KeepWithinYearly),
            KeepTags = ParseTagSets(context.Get(KeepTag) ?? []),
            TimeZone = Zone(context),
            GroupBy = ParseGrouping(context.Get(GroupBy)),
        };
        if (!policy.HasRules)
        {
            throw new CliUsageException("No retention rule given: pass at least one --keep-* option or --gfs (an empty policy would remove every snapshot).");
        }

        try
        {
            policy.Validate();
        }
        catch (ArgumentException ex)
        {
            throw new CliUsageException(OptionMessage(ex));
        }

        return policy;
    }

    private static List<IReadOnlyList<string>> ParseTagSets(string[] values)
    {
        var sets = new List<IReadOnlyList<string>>();
        foreach (var value in values)
        {
            var tags = value.Split(',', StringSplitOptions.TrimEntries);
            if (tags.Length == 0 || tags.Any(t => t.Length == 0))
            {
                throw new CliUsageException($"--keep-tag '{value}' holds an empty tag; give TAG or TAG,TAG.");
            }

            sets.Add(tags);
        }

        return sets;
    }

    private static SnapshotGrouping ParseGrouping(string? text)
    {
        if (text is null)
        {
            return SnapshotGrouping.Default;
        }

        // Not grouping puts every host's and path's snapshots under one policy, so it must be asked for by name: an
        // empty value (an unset shell variable) or a stray comma is a mistake, not "none".
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Any(p => p.Length == 0))
        {
            throw new CliUsageException($"--group-by '{text}' has an empty item; use a comma-separated list of host, kind, paths and tags, or 'none' to apply the policy to all snapshots together.");
        }

        if (parts.Length > 1 && parts.Any(p => p.Equals("none", StringComparison.OrdinalIgnoreCase)))
        {
            throw new CliUsageException($"--group-by '{text}' names 'none' with other items; 'none' stands alone.");
        }

        var grouping = SnapshotGrouping.None;
        foreach (var part in parts)
        {
            grouping |= part.ToLowerInvariant() switch
            {
                "host" or "hostname" => SnapshotGrouping.Host,
                "kind" or "source-kind" => SnapshotGrouping.SourceKind,
                "paths" or "path" => SnapshotGrouping.Paths,
                "tags" or "tag" => SnapshotGrouping.Tags,
                "none" => SnapshotGrouping.None,
                _ => throw new CliUsageException($"--group-by '{part}' is unknown; use a comma-separated list of host, kind, paths and tags, or 'none'."),
            };
        }

        return grouping;
    }

    private static TimeZoneInfo ParseTimeZone(string? id)
    {
        if (id is null)
        {
            return TimeZoneInfo.Local;
        }

        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(id);
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw new CliUsageException($"--time-zone '{id}' is not a known time zone; give an IANA name such as Europe/Berlin or UTC.");
        }
    }

    // The policy names its properties (KeepLast); the user typed options (--keep-last).
    private static string OptionMessage(ArgumentException ex)
    {
        var message = ex.Message;
        var paren = message.IndexOf(" (Parameter '", StringComparison.Ordinal);
        if (paren >= 0)
        {
            message = message[..paren];
        }

        foreach (var (property, option) in new[]
        {
            ("KeepWithinHourly", "--keep-within-hourly"), ("KeepWithinDaily", "--keep-within-daily"), ("KeepWithinWeekly", "--keep-within-weekly"),
            ("KeepWithinMonthly", "--keep-within-monthly"), ("KeepWithinYearly", "--keep-within-yearly"), ("KeepWithin", "--keep-within"),
            ("KeepLast", "--keep-last"), ("KeepHourly", "--keep-hourly"), ("KeepDaily", "--keep-daily"), ("KeepWeekly", "--keep-weekly"),
            ("KeepMonthly", "--keep-monthly"), ("KeepYearly", "--keep-yearly"), ("KeepTags", "--keep-tag"),
        })
        {
            message = message.Replace(property, option, StringComparison.Ordinal);
        }

        return message.Replace(" (or null to leave the rule out)", "", StringComparison.Ordinal);
    }
}
