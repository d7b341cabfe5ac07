using System.CommandLine;
using Backup.DisasterRecovery;
using Backup.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection;

namespace Backup.Cli.Commands;

/// <summary>
/// <c>backup dr backup PLAN [--job J]...</c>: runs the plan's jobs once, exactly as a host configured the same way
/// runs them (tags, job metadata, copies, retention, verification), so an operator without a host can drive the plan
/// from cron and its drills find the jobs' snapshots.
/// </summary>
internal static class DrBackupCommand
{
    public static Command Create(CommandRunner runner)
    {
        var planArgument = new Argument<string>("PLAN") { Description = "The plan file (YAML, or JSON for a .json file)." };
        var jobs = new Option<string[]>("--job") { Description = "Run only this job (repeatable); default: every job the plan's systems name.", HelpName = "JOB" };
        var command = new Command(
            "backup",
            "Run the plan's jobs once, as a host configured from the same plan would (its repositories, sources, copies, retention and verification): " +
            "every job the systems name, in tier order, or the --job ones. Exits 3 when a snapshot is partial and 1 when a job failed.")
        {
            planArgument, jobs,
        };
        runner.Bind(command, async (context, ct) =>
        {
            if (await DrPlans.LoadAsync(context, context.Get(planArgument)!, ct).ConfigureAwait(false) is not { } plan)
            {
                return ExitCodes.Error;
            }

            var chosen = Choose(plan, context.Get(jobs) ?? []);
            DrPlans.RefuseRetentionInAppendOnlyMode(context, plan, chosen);
            await using var services = DrPlans.Services(plan, context.AppendOnly);
            await RequireRetentionLocksAsync(plan, chosen, services.GetRequiredService<IBackupRepositoryProvider>(), ct).ConfigureAwait(false);
            var runnerService = services.GetRequiredService<IBackupJobRunner>();
            var results = new List<BackupJobResult>(chosen.Count);
            foreach (var job in chosen)
            {
                var result = await runnerService.RunAsync(job, ct).ConfigureAwait(false);
                results.Add(result);
                if (!context.Json)
                {
                    var snapshot = result.Snapshot is { } s ? $", snapshot {s.Id.ToShortString()}" : string.Empty;
                    await context.Output.InfoAsync($"Job {job}: {result.Outcome} in {Format.Seconds(result.Duration)}{snapshot}").ConfigureAwait(false);
                    if (result.Error is { } error)
                    {
                        await context.Output.ErrorAsync($"error: job {job}: {error.Message}").ConfigureAwait(false);
                    }
                }
            }

            if (context.Json)
            {
                var output = results.Select(r => new DrJobRunOutput(r.JobName, r.Outcome.ToString(), r.Snapshot?.Id.ToString(), r.Duration.TotalSeconds, r.Error?.Message)).ToList();
                await context.Output.WriteJsonAsync(output, CliJson.Default.ListDrJobRunOutput).ConfigureAwait(false);
            }

            return results.Any(r => r.Outcome is BackupJobOutcome.Failed or BackupJobOutcome.Cancelled) ? ExitCodes.Error
                : results.Any(r => r.Outcome == BackupJobOutcome.Partial) ? ExitCodes.Partial
                : ExitCodes.Success;
        });
        return command;
    }

    /// <summary>
    /// Refuses the run before any job starts when a job's repository records a retention lock this run does not write,
    /// as the tool's other writing verbs do (RepositoryOpener): otherwise each job would fail at its first pack, after
    /// reading its source, and the run would report a job failure instead of the setting to add. Copy destinations are
    /// not asked: a failed copy never affects the job's own snapshot, which is worth having.
    /// </summary>
    private static async Task RequireRetentionLocksAsync(RecoveryPlan plan, IReadOnlyList<string> jobs, IBackupRepositoryProvider repositories, CancellationToken cancellationToken)
    {
        // An unknown job is left to the runner, which names it with the nearest and points at 'dr validate'.
        var names = jobs.Select(j => plan.Backup.Jobs.GetValueOrDefault(j)?.Repository).OfType<string>().Where(r => r.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase);
        foreach (var name in names)
        {
            var repository = await repositories.GetAsync(name, cancellationToken).ConfigureAwait(false);
            repository.RequireRetentionLockForWriting();
        }
    }

    internal static IReadOnlyList<string> Choose(RecoveryPlan plan, IReadOnlyList<string> named)
    {
        if (named.Count == 0)
        {
            var ofSystems = plan.Systems.OrderBy(s => s.Value.Tier).ThenBy(s => s.Key, StringComparer.OrdinalIgnoreCase).SelectMany(s => s.Value.Jobs).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
            return ofSystems.Count > 0 ? ofSystems : [.. plan.Backup.Jobs.Keys];
        }

        var unknown = named.Where(n => !plan.Backup.Jobs.ContainsKey(n)).ToList();
        return unknown.Count == 0
            ? [.. named.Distinct(StringComparer.OrdinalIgnoreCase)]
            : throw new CliUsageException(
                $"--job: the plan has no job {DatabaseEngines.Join(unknown.Select(n => $"'{n}'"))}.{Nearest.Suggestion(unknown, plan.Backup.Jobs.Keys)} Its jobs: {string.Join(", ", plan.Backup.Jobs.Keys)}.");
    }
}

/// <summary>One job run of <c>dr backup --json</c>.</summary>
internal sealed record DrJobRunOutput(string Job, string Outcome, string? Snapshot, double Seconds, string? Error);
