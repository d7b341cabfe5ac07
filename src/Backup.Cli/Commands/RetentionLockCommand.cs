using System.CommandLine;
using Backup.Core.Maintenance;

namespace Backup.Cli.Commands;

/// <summary>
/// <c>backup retention-lock extend</c>: extends the retention lock (S3 Object Lock, Azure immutability policy) of every
/// object the repository still needs. Named after --retention-lock, which sets the lock at init; nothing to do with
/// the repository's own lock objects (<c>unlock</c>) or with which snapshots to keep (<c>forget</c>).
/// </summary>
internal static class RetentionLockCommand
{
    public static Command Create(CommandRunner runner)
    {
        var command = new Command("retention-lock", "Keep a retention-locked repository's live data locked (S3 Object Lock, Azure immutability).");
        command.Subcommands.Add(Extend(runner));
        return command;
    }

    private static Command Extend(CommandRunner runner)
    {
        var policyOptions = new RetentionPolicyOptions();
        var command = new Command(
            "extend",
            "Extend the lock of every object the repository still needs (config, keys, index, snapshots, and every pack a snapshot may use) to now plus the " +
            "recorded period. Run it at least once every (period minus a margin), e.g. daily: then nothing the repository needs can be deleted for a full period. " +
            "Needs the recorded lock, as a backup does (--retention-lock or $BACKUP_RETENTION_LOCK). One request per object. " +
            "If you run 'forget', pass the same --keep-*, --group-by and --time-zone options as it: then only the snapshots the policy keeps, and the data they use, " +
            "are extended, and the others are left to lapse so that forget and prune can remove them; without them every snapshot is locked again and forget removes none.");
        foreach (var option in policyOptions.All)
        {
            command.Options.Add(option);
        }

        runner.Bind(command, async (context, ct) =>
        {
            var policy = policyOptions.Given(context).Count > 0 || context.ParseResult.GetResult(policyOptions.TimeZone) is { Implicit: false }
                ? policyOptions.Build(context)
                : null;
            await using var repository = await RepositoryOpener.OpenAsync(context, writes: true, ct).ConfigureAwait(false);
            if (policy is not null)
            {
                await ForgetCommand.RefuseToEmptyAGroupAsync(new Backup.Core.Retention.RetentionService(repository), policy, ct).ConfigureAwait(false);
            }

            var result = await new MaintenanceService(repository).ExtendRetentionAsync(new RetentionExtensionOptions { Policy = policy }, progress: null, ct).ConfigureAwait(false);
            if (context.Json)
            {
                await context.Output.WriteJsonAsync(RetentionExtendOutput.From(result, policy), CliJson.Default.RetentionExtendOutput).ConfigureAwait(false);
            }
            else
            {
                await WriteAsync(context.Output, result, policy).ConfigureAwait(false);
            }

            foreach (var key in result.Missing)
            {
                await context.Output.WarnAsync($"missing: '{key}' is needed by the repository but not stored, so it could not be locked").ConfigureAwait(false);
            }

            foreach (var problem in result.Problems)
            {
                await context.Output.WarnAsync($"every pack was extended, as without a policy, because the policy's snapshots could not be walked: {problem}").ConfigureAwait(false);
            }

            if (result.Missing.Count > 0 || result.Problems.Count > 0)
            {
                await context.Output.WarnAsync(
                    (result.Missing.Count > 0 ? $"{Format.Count(result.Missing.Count, "object", "objects")} the repository needs are missing: it is damaged. " : "The repository is damaged. ") +
                    "Run 'backup check', then 'backup repair'.").ConfigureAwait(false);
                return ExitCodes.RepositoryDamaged;
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static async Task WriteAsync(OutputWriter output, RetentionExtensionResult result, Backup.Core.Retention.RetentionPolicy? policy)
    {
        await output.InfoAsync(
            $"Extended the retention lock ({result.RetentionLock}) of {Format.Count(result.Extended, "object", "objects")} until {Utc(result.RetainUntil)}" +
            (result.AlreadyLockedLonger > 0 ? $"; {Format.Count(result.AlreadyLockedLonger, "object was", "objects were")} already locked longer and left as they were" : string.Empty) +
            ".").ConfigureAwait(false);
        if (result.EarliestRetainUntil is { } earliest)
        {
            await output.InfoAsync(
                $"Nothing the repository needs can be deleted before {Utc(earliest)}. Run this again before {Utc(earliest - Margin(result.RetentionLock.Period))} to keep it so.").ConfigureAwait(false);
        }

        if (policy is null)
        {
            // Said on every run: a repository whose snapshots are forgotten only grows, and nothing else would tell.
            await output.InfoAsync(
                "Every snapshot was extended. If this repository's snapshots are forgotten ('backup forget'), pass the same --keep-* options here as there: " +
                "otherwise every run locks them again and forget removes none.").ConfigureAwait(false);
        }
        else
        {
            await output.InfoAsync($"Policy: {policy}").ConfigureAwait(false);
            await output.InfoAsync(result.SnapshotsLeftToLapse.Count > 0 || result.PacksLeftToLapse > 0
                ? $"Left {Format.Count(result.SnapshotsLeftToLapse.Count, "snapshot", "snapshots")} the policy does not keep, and " +
                  $"{Format.Count(result.PacksLeftToLapse, "pack", "packs")} only such snapshots use, to lapse: the first can be deleted by {Utc(result.LeftToLapseBy!.Value)} at the latest; " +
                  "then 'backup forget' with this policy removes them and 'backup prune' frees their data."
                : "The policy keeps every snapshot: nothing was left to lapse.").ConfigureAwait(false);
        }
    }

    private static string Utc(DateTimeOffset time) => $"{Format.Time(time.ToUniversalTime())} UTC";

    /// <summary>The time to leave before the earliest lock ends for a run that fails to be retried: a tenth of the period, at least a day where the period allows.</summary>
    internal static TimeSpan Margin(TimeSpan period) => TimeSpan.FromTicks(Math.Max(period.Ticks / 10, Math.Min(TimeSpan.TicksPerDay, period.Ticks / 2)));
}

/// <summary>What 'backup retention-lock extend' did; the policy (null without one) and what it left to lapse.</summary>
internal sealed record RetentionExtendOutput(
    string RetentionLock, DateTimeOffset RetainUntil, long Extended, long AlreadyLockedLonger, DateTimeOffset? EarliestRetainUntil, IReadOnlyList<string> Missing,
    string? Policy, IReadOnlyList<string> SnapshotsLeftToLapse, long PacksLeftToLapse, DateTimeOffset? LeftToLapseBy, IReadOnlyList<string> Problems, double DurationSeconds)
{
    public static RetentionExtendOutput From(RetentionExtensionResult r, Backup.Core.Retention.RetentionPolicy? policy) =>
        new(r.RetentionLock.ToString(), r.RetainUntil, r.Extended, r.AlreadyLockedLonger, r.EarliestRetainUntil, r.Missing,
            policy?.ToString(), [.. r.SnapshotsLeftToLapse.Select(id => id.ToString())], r.PacksLeftToLapse, r.LeftToLapseBy, r.Problems, r.Duration.TotalSeconds);
}
