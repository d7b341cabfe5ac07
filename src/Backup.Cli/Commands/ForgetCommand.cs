using System.CommandLine;
using Backup.Core;
using Backup.Core.Maintenance;
using Backup.Core.Repository;
using Backup.Core.Retention;

namespace Backup.Cli.Commands;

/// <summary><c>backup forget</c>: applies a retention policy, removing the snapshots no rule keeps.</summary>
internal static class ForgetCommand
{
    public static Command Create(CommandRunner runner)
    {
        static Option<int?> Count(string name, string what) => new(name) { Description = $"Keep the newest snapshot of each of the last N {what} that have one.", HelpName = "N" };
        static Option<string?> Within(string name, string what) => new(name) { Description = $"Keep the newest snapshot of every {what} within DURATION before the group's newest snapshot.", HelpName = "DURATION" };

        var keepLast = new Option<int?>("--keep-last") { Description = "Keep the newest N snapshots.", HelpName = "N" };
        var keepHourly = Count("--keep-hourly", "hours");
        var keepDaily = Count("--keep-daily", "days");
        var keepWeekly = Count("--keep-weekly", "ISO weeks");
        var keepMonthly = Count("--keep-monthly", "months");
        var keepYearly = Count("--keep-yearly", "years");
        var keepWithin = new Option<string?>("--keep-within")
        {
            Description = $"Keep every snapshot taken within DURATION before the group's newest snapshot ({DurationParser.RetentionHelpText}).",
            HelpName = "DURATION",
        };
        var keepWithinHourly = Within("--keep-within-hourly", "hour");
        var keepWithinDaily = Within("--keep-within-daily", "day");
        var keepWithinWeekly = Within("--keep-within-weekly", "ISO week");
        var keepWithinMonthly = Within("--keep-within-monthly", "month");
        var keepWithinYearly = Within("--keep-within-yearly", "year");
        var keepTag = new Option<string[]>("--keep-tag")
        {
            Description = "Keep snapshots carrying all of these tags (repeatable: each occurrence is one more set that keeps).",
            HelpName = "TAG[,TAG]",
        };
        var gfs = new Option<bool>("--gfs")
        {
            Description = "Grandfather-father-son preset: --keep-daily 7 --keep-weekly 4 --keep-monthly 12 --keep-yearly 3 (a --keep-* option given as well overrides its level).",
        };
        var groupBy = new Option<string?>("--group-by")
        {
            Description = "Evaluate the policy separately for each group of snapshots sharing these properties: a comma-separated list of host, kind, paths, tags, or 'none' (default: host,kind,paths).",
            HelpName = "PROPS",
        };
        var timeZone = new Option<string?>("--time-zone")
        {
            Description = "IANA time zone in which hours, days, weeks, months and years are counted, e.g. Europe/Berlin or UTC (default: this machine's local zone).",
            HelpName = "ZONE",
        };
        var dryRun = new Option<bool>("--dry-run", "-n") { Description = "Show which snapshots would be kept and removed, and why; delete nothing." };
        var prune = new Option<bool>("--prune") { Description = "Run 'prune' afterwards to free the data of the removed snapshots." };
        var repackThreshold = PruneCommand.RepackThresholdOption();
        repackThreshold.Description += " Used with --prune.";
        var unindexedGrace = PruneCommand.UnindexedGraceOption();
        unindexedGrace.Description += " Used with --prune.";

        var snapshots = new Argument<string[]>("SNAPSHOT")
        {
            Description = "Remove exactly these snapshots (ID or unique prefix of at least 4 digits; not 'latest') instead of applying a policy.",
            Arity = ArgumentArity.ZeroOrMore,
            Validators = { SnapshotIds.ValidateWithoutLatest },
        };

        var command = new Command(
            "forget",
            "Remove the snapshots that no retention rule keeps (rules combine: a snapshot is kept when any rule keeps it; pinned and future-dated snapshots are always kept), " +
            "or exactly the snapshots named by ID. Their data stays until 'prune' (or --prune) frees it.")
        {
            snapshots, keepLast, keepHourly, keepDaily, keepWeekly, keepMonthly, keepYearly, keepWithin, keepWithinHourly, keepWithinDaily, keepWithinWeekly,
            keepWithinMonthly, keepWithinYearly, keepTag, gfs, groupBy, timeZone, dryRun, prune, repackThreshold, unindexedGrace,
        };
        runner.Bind(command, async (context, ct) =>
        {
            RetentionDuration? Duration(Option<string?> option) => context.Get(option) is { } text ? DurationParser.ParseRetention(text, option.Name) : null;

            var zone = ParseTimeZone(context.Get(timeZone));
            var named = context.Get(snapshots) ?? [];
            if (named.Length > 0)
            {
                Option[] policyOptions =
                [
                    keepLast, keepHourly, keepDaily, keepWeekly, keepMonthly, keepYearly, keepWithin, keepWithinHourly, keepWithinDaily, keepWithinWeekly,
                    keepWithinMonthly, keepWithinYearly, keepTag, gfs, groupBy,
                ];
                var given = policyOptions.Where(o => context.ParseResult.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToList();
                if (given.Count > 0)
                {
                    throw new CliUsageException(
                        $"Snapshot IDs and {string.Join(", ", given)} do not mix: 'backup forget ID...' removes exactly the snapshots named, a policy removes those no rule keeps. " +
                        "Run them as two commands.");
                }

                return await ForgetNamedAsync(context, named, zone, context.Get(dryRun), context.Get(prune), repackThreshold, unindexedGrace, ct).ConfigureAwait(false);
            }

            var preset = context.Get(gfs);
            var policy = new RetentionPolicy
            {
                KeepLast = context.Get(keepLast),
                KeepHourly = context.Get(keepHourly),
                KeepDaily = context.Get(keepDaily) ?? (preset ? 7 : null),
                KeepWeekly = context.Get(keepWeekly) ?? (preset ? 4 : null),
                KeepMonthly = context.Get(keepMonthly) ?? (preset ? 12 : null),
                KeepYearly = context.Get(keepYearly) ?? (preset ? 3 : null),
                KeepWithin = Duration(keepWithin),
                KeepWithinHourly = Duration(keepWithinHourly),
                KeepWithinDaily = Duration(keepWithinDaily),
                KeepWithinWeekly = Duration(keepWithinWeekly),
                KeepWithinMonthly = Duration(keepWithinMonthly),
                KeepWithinYearly = Duration(keepWithinYearly),
                KeepTags = ParseTagSets(context.Get(keepTag) ?? []),
                TimeZone = zone,
                GroupBy = ParseGrouping(context.Get(groupBy)),
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

            var isDryRun = context.Get(dryRun);
            if (!isDryRun)
            {
                context.RefuseInAppendOnlyMode("forget", "deletes snapshots");
            }

            var pruneOptions = PruneOptionsFor(context, context.Get(prune), repackThreshold, unindexedGrace);

            // Neither forget nor prune reads through the loaded index (prune reads the index objects itself): not loaded.
            await using var repository = await RepositoryOpener.OpenWithoutIndexAsync(context, writes: !isDryRun, ct).ConfigureAwait(false);
            var retention = new RetentionService(repository);
            if (!isDryRun)
            {
                await RefuseToEmptyAGroupAsync(retention, policy, ct).ConfigureAwait(false);
            }

            var result = await retention.ApplyAsync(policy, isDryRun, ct).ConfigureAwait(false);
            return await ReportAsync(context, repository, new Plan(policy.ToString(), "Policy", policy.TimeZone, "no rule keeps it"), result, pruneOptions, ct).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>
    /// <c>backup forget ID...</c>: every name is resolved before anything is deleted (a typo or an ambiguous prefix in
    /// the third name removes none), and the library checks them again under the lock, refusing pinned ones.
    /// </summary>
    private static async Task<int> ForgetNamedAsync(
        CommandContext context, string[] named, TimeZoneInfo zone, bool isDryRun, bool runPrune, Option<string?> repackThreshold, Option<string?> unindexedGrace,
        CancellationToken ct)
    {
        if (!isDryRun)
        {
            context.RefuseInAppendOnlyMode("forget", "deletes snapshots");
        }

        var pruneOptions = PruneOptionsFor(context, runPrune, repackThreshold, unindexedGrace);
        await using var repository = await RepositoryOpener.OpenWithoutIndexAsync(context, writes: !isDryRun, ct).ConfigureAwait(false);
        var ids = new List<BlobId>();
        foreach (var idOrPrefix in named)
        {
            ids.Add((await repository.Snapshots.FindAsync(idOrPrefix, ct).ConfigureAwait(false)).Id);
        }

        var result = await new RetentionService(repository).ForgetAsync(ids, isDryRun, ct).ConfigureAwait(false);
        var description = "snapshots " + string.Join(", ", result.Removed.Select(s => s.Id.ToShortString()));
        return await ReportAsync(context, repository, new Plan(description, "Forget", zone, "named", Named: true), result, pruneOptions, ct).ConfigureAwait(false);
    }

    /// <summary>The prune to run after forget, or null without --prune (whose settings alone are refused: they would be ignored).</summary>
    private static PruneOptions? PruneOptionsFor(CommandContext context, bool runPrune, Option<string?> repackThreshold, Option<string?> unindexedGrace)
    {
        if (!runPrune && (context.Get(repackThreshold) is not null || context.Get(unindexedGrace) is not null))
        {
            throw new CliUsageException("--repack-threshold and --unindexed-grace only apply with --prune; add --prune, or run 'backup prune' with them.");
        }

        return runPrune ? PruneCommand.Options(context, repackThreshold, unindexedGrace, repackSmall: false, dryRun: false) : null;
    }

    /// <summary>
    /// How a forget run is described: <paramref name="Description"/> after <paramref name="Label"/> ("Policy: …"), times
    /// shown in <paramref name="Zone"/>, and the reason shown for a removed snapshot; <paramref name="Named"/> when the
    /// snapshots were named, so the others are not counted as kept by a rule but left alone.
    /// </summary>
    private sealed record Plan(string Description, string Label, TimeZoneInfo Zone, string RemovedBecause, bool Named = false);

    /// <summary>What both forms of forget print and return: damaged snapshots, the decisions, the prune that follows, the JSON.</summary>
    private static async Task<int> ReportAsync(
        CommandContext context, BackupRepository repository, Plan plan, RetentionResult result, PruneOptions? pruneOptions, CancellationToken ct)
    {
        var isDryRun = result.DryRun;
        foreach (var problem in result.Problems)
        {
            await context.Output.WarnAsync($"skipped damaged snapshot {problem}").ConfigureAwait(false);
        }

        // Quiet keeps a dry run's report: there it is what was asked for.
        if (!context.Json && (!context.Quiet || isDryRun))
        {
            await WriteAsync(context.Output, plan, result, pruneFollows: pruneOptions is not null && !isDryRun).ConfigureAwait(false);
        }

        PruneResult? pruned = null;
        if (pruneOptions is not null)
        {
            if (isDryRun)
            {
                await context.Output.InfoAsync("Dry run: prune was not run.").ConfigureAwait(false);
            }
            else
            {
                pruned = await PruneCommand.RunAsync(repository, pruneOptions, ct).ConfigureAwait(false);
                if (!context.Json)
                {
                    await PruneCommand.WriteAsync(context.Output, pruned).ConfigureAwait(false);
                }
            }
        }

        if (context.Json)
        {
            var output = new ForgetOutput(
                result.DryRun, plan.Description, result.EvaluatedAt, result.Kept.Count(), result.Removed.Count(), result.Deleted,
                [.. result.Groups.Select(ForgetGroupOutput.From)], result.Problems, pruned is null ? null : PruneOutput.From(pruned), [.. result.Locked.Select(LockedOutput.From)]);
            await context.Output.WriteJsonAsync(output, CliJson.Default.ForgetOutput).ConfigureAwait(false);
        }

        return result.Problems.Count > 0 ? ExitCodes.RepositoryDamaged : ExitCodes.Success;
    }

    /// <summary>
    /// Every other rule keeps at least each group's newest snapshot; --keep-tag alone keeps only what carries the tags,
    /// so one misspelt tag (weekly for snapshots tagged nightly) would remove every snapshot, as an empty policy would.
    /// Judged per group, as the policy is: where only one host tags its snapshots nightly, --keep-tag nightly would
    /// leave the other hosts with no snapshot at all while keeping enough elsewhere to look fine (a future-dated snapshot,
    /// kept for its date alone, does not count as kept). Such a run is refused
    /// before anything is deleted, naming each such group and the tags its snapshots have; the extra read of the
    /// snapshots is paid by tag-only policies.
    /// </summary>
    private static async Task RefuseToEmptyAGroupAsync(RetentionService retention, RetentionPolicy policy, CancellationToken ct)
    {
        if (policy.KeepTags.Count == 0 || (policy with { KeepTags = [] }).HasRules)
        {
            return;
        }

        var preview = await retention.ApplyAsync(policy, dryRun: true, ct).ConfigureAwait(false);

        // A snapshot dated after now is kept for its date alone (a clock that ran ahead; 'latest' passes over it), so a
        // group that keeps nothing else has lost its history all the same.
        bool KeepsHistory(RetentionDecision kept) => kept.Snapshot.Pinned || kept.Snapshot.Time <= preview.EvaluatedAt;
        var emptied = preview.Groups.Where(g => g.Removed.Any() && !g.Kept.Any(KeepsHistory)).ToList();
        if (emptied.Count == 0)
        {
            return;
        }

        var asked = string.Join(" or ", policy.KeepTags.Select(set => "'" + string.Join(",", set) + "'"));
        var removed = emptied.Sum(g => g.Removed.Count());
        var futureDated = emptied.Sum(g => g.Kept.Count());
        var what = (emptied.Count == preview.Groups.Count
                ? $"This policy would remove every snapshot ({removed})"
                : $"This policy would remove every snapshot of {emptied.Count} of the {preview.Groups.Count} groups ({removed} snapshot(s))") +
            (futureDated > 0 ? $" but {futureDated} dated in the future" : "") +
            $": none {(emptied.Count == preview.Groups.Count ? "" : "of theirs ")}carries {asked}, and --keep-tag is its only rule. ";
        var which = preview.Groups.Count == 1
            ? (TagsOf(emptied[0]) is { } tags ? $"The snapshots' tags are: {tags}. " : "No snapshot has a tag. ")
            : "Left with no snapshot: " + string.Join("; ", emptied.Take(5).Select(g => $"{g.Key} ({(TagsOf(g) is { } tags ? "tags: " + tags : "no tags")})")) +
              (emptied.Count > 5 ? $"; and {emptied.Count - 5} more groups" : "") + ". ";
        throw new CliUsageException(
            what + which +
            "Check the spelling, or add a rule such as --keep-last 1 (it keeps each group's newest snapshot); --dry-run shows what a policy keeps, " +
            "and 'backup forget ID...' removes snapshots you name, a whole group's too" +
            (preview.Groups.Count > 1 && emptied.Count < preview.Groups.Count
                ? "; to empty these groups on purpose, --group-by none judges the repository as one group."
                : "."));
    }

    /// <summary>The tags the group's snapshots carry, as "a, b" (the first ten), or null when none has a tag.</summary>
    private static string? TagsOf(RetentionGroup group)
    {
        var present = group.Decisions.SelectMany(d => d.Snapshot.Tags).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return present.Count == 0 ? null : string.Join(", ", present.Take(10)) + (present.Count > 10 ? $" and {present.Count - 10} more" : "");
    }

    private static async Task WriteAsync(OutputWriter output, Plan plan, RetentionResult result, bool pruneFollows)
    {
        await output.LineAsync($"{plan.Label}: {plan.Description}").ConfigureAwait(false);
        foreach (var group in result.Groups)
        {
            await output.LineAsync(string.Empty).ConfigureAwait(false);
            var removedInGroup = $"{group.Removed.Count()} {(result.DryRun ? "would be removed" : "removed")}";
            await output.LineAsync(plan.Named ? $"Group {group.Key}: {removedInGroup}" : $"Group {group.Key}: {group.Kept.Count()} kept, {removedInGroup}").ConfigureAwait(false);
            await output.TableAsync(
                ["ID", "Time", "Action", "Reasons"],
                group.Decisions.Select(d => (IReadOnlyList<string>)[
                    d.Snapshot.Id.ToShortString(), TimeIn(d.Snapshot.Time, plan.Zone),
                    d.IsKept ? "keep" : result.DryRun ? "would remove" : "remove",
                    d.IsKept ? string.Join(", ", d.Reasons) : plan.RemovedBecause])).ConfigureAwait(false);
        }

        var kept = result.Kept.Count();
        var removed = result.Removed.Count();
        await output.LineAsync(string.Empty).ConfigureAwait(false);
        var summary = (plan.Named, result.DryRun) switch
        {
            (true, true) => $"Dry run: would remove the {removed} snapshot(s) named, and no other; nothing was deleted.",
            (true, false) => $"Removed {result.Deleted} of the {removed} snapshot(s) named; no other snapshot was touched.",
            (false, true) => $"Dry run: would keep {kept} and remove {removed} snapshot(s); nothing was deleted.",
            (false, false) => $"Kept {kept} and removed {result.Deleted} snapshot(s).",
        };
        await output.LineAsync(summary + (!result.DryRun && result.Deleted > 0 && !pruneFollows ? " Run 'backup prune' to free their data." : "")).ConfigureAwait(false);
        foreach (var locked in result.Locked)
        {
            await output.LineAsync($"Locked by the storage, kept: {locked.Key} {PruneCommand.LockedUntil(locked)}").ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The time in the zone the buckets are counted in, with its offset. The time as the backing-up machine recorded it
    /// would put a snapshot of another zone's host on another day than its reason says ("daily 1 (2026-11-24)" beside
    /// 2026-11-25), and the hour repeated when clocks go back would show two different times alike.
    /// </summary>
    private static string TimeIn(DateTimeOffset time, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTime(time, zone).ToString("yyyy-MM-dd HH:mm:ss zzz", System.Globalization.CultureInfo.InvariantCulture);

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
