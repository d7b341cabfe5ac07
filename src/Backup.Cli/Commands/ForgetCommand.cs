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
        var policyOptions = new RetentionPolicyOptions();
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
            snapshots,
        };
        foreach (var option in policyOptions.All.Concat([dryRun, prune, repackThreshold, unindexedGrace]))
        {
            command.Options.Add(option);
        }

        runner.Bind(command, async (context, ct) =>
        {
            var zone = policyOptions.Zone(context);
            var named = context.Get(snapshots) ?? [];
            if (named.Length > 0)
            {
                var given = policyOptions.Given(context);
                if (given.Count > 0)
                {
                    throw new CliUsageException(
                        $"Snapshot IDs and {string.Join(", ", given)} do not mix: 'backup forget ID...' removes exactly the snapshots named, a policy removes those no rule keeps. " +
                        "Run them as two commands.");
                }

                return await ForgetNamedAsync(context, named, zone, context.Get(dryRun), context.Get(prune), repackThreshold, unindexedGrace, ct).ConfigureAwait(false);
            }

            var policy = policyOptions.Build(context);
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
    /// snapshots is paid by tag-only policies. retention-lock extend refuses the same policy, which would leave every
    /// snapshot of those groups to lapse.
    /// </summary>
    internal static async Task RefuseToEmptyAGroupAsync(RetentionService retention, RetentionPolicy policy, CancellationToken ct)
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
}
