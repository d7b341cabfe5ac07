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
        var command = new Command(
            "extend",
            "Extend the lock of every object the repository still needs (config, keys, index, snapshots, and every pack a snapshot may use) to now plus the " +
            "recorded period. Run it at least once every (period minus a margin), e.g. daily: then nothing the repository needs can be deleted for a full period. " +
            "Needs the recorded lock, as a backup does (--retention-lock or $BACKUP_RETENTION_LOCK). One request per object.");
        runner.Bind(command, async (context, ct) =>
        {
            await using var repository = await RepositoryOpener.OpenAsync(context, writes: true, ct).ConfigureAwait(false);
            var result = await new MaintenanceService(repository).ExtendRetentionAsync(new RetentionExtensionOptions(), progress: null, ct).ConfigureAwait(false);
            if (context.Json)
            {
                await context.Output.WriteJsonAsync(RetentionExtendOutput.From(result), CliJson.Default.RetentionExtendOutput).ConfigureAwait(false);
            }
            else
            {
                await context.Output.InfoAsync(
                    $"Extended the retention lock ({result.RetentionLock}) of {Format.Count(result.Extended, "object", "objects")} until {Utc(result.RetainUntil)}" +
                    (result.AlreadyLockedLonger > 0 ? $"; {Format.Count(result.AlreadyLockedLonger, "object was", "objects were")} already locked longer and left as they were" : string.Empty) +
                    ".").ConfigureAwait(false);
                if (result.EarliestRetainUntil is { } earliest)
                {
                    await context.Output.InfoAsync(
                        $"Nothing the repository needs can be deleted before {Utc(earliest)}. Run this again before {Utc(earliest - Margin(result.RetentionLock.Period))} to keep it so.").ConfigureAwait(false);
                }
            }

            foreach (var key in result.Missing)
            {
                await context.Output.WarnAsync($"missing: '{key}' is needed by the repository but not stored, so it could not be locked").ConfigureAwait(false);
            }

            if (result.Missing.Count > 0)
            {
                await context.Output.WarnAsync($"{Format.Count(result.Missing.Count, "object", "objects")} the repository needs are missing: it is damaged. Run 'backup check', then 'backup repair'.").ConfigureAwait(false);
                return ExitCodes.RepositoryDamaged;
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static string Utc(DateTimeOffset time) => $"{Format.Time(time.ToUniversalTime())} UTC";

    /// <summary>The time to leave before the earliest lock ends for a run that fails to be retried: a tenth of the period, at least a day where the period allows.</summary>
    internal static TimeSpan Margin(TimeSpan period) => TimeSpan.FromTicks(Math.Max(period.Ticks / 10, Math.Min(TimeSpan.TicksPerDay, period.Ticks / 2)));
}

/// <summary>What 'backup retention-lock extend' did.</summary>
internal sealed record RetentionExtendOutput(
    string RetentionLock, DateTimeOffset RetainUntil, long Extended, long AlreadyLockedLonger, DateTimeOffset? EarliestRetainUntil, IReadOnlyList<string> Missing, double DurationSeconds)
{
    public static RetentionExtendOutput From(RetentionExtensionResult r) =>
        new(r.RetentionLock.ToString(), r.RetainUntil, r.Extended, r.AlreadyLockedLonger, r.EarliestRetainUntil, r.Missing, r.Duration.TotalSeconds);
}
