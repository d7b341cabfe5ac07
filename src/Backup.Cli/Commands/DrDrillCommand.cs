using System.CommandLine;
using Backup.DisasterRecovery;
using Microsoft.Extensions.DependencyInjection;

namespace Backup.Cli.Commands;

/// <summary>
/// <c>backup dr drill PLAN [--system S]...</c>: drills the plan's systems (all, in tier order, or the ones named)
/// against scratch targets, prints what each step did and stores each result in the repository of the system's first
/// job. Exits 4 when a drill failed or left something it could not remove.
/// </summary>
internal static class DrDrillCommand
{
    public static Command Create(CommandRunner runner)
    {
        var planArgument = new Argument<string>("PLAN") { Description = "The plan file (YAML, or JSON for a .json file)." };
        var systems = new Option<string[]>("--system")
        {
            Description = "Drill only this system (repeat for several). Default: every system, in tier order.",
            HelpName = "NAME",
            AllowMultipleArgumentsPerToken = false,
        };
        var command = new Command(
            "drill",
            "Drill the recovery of a plan's systems: run each system's steps against scratch targets (restores into a scratch directory " +
            "or a scratch database on the plan's scratch server, HTTP and wait steps against their drill URLs, commands in their drill form), " +
            "time every step, remove every scratch target, and store the result (achieved RTO and RPO, each step's outcome and output) " +
            "in the repository of the system's first job. Exits 4 when a drill failed.")
        {
            planArgument, systems,
        };
        runner.Bind(command, async (context, ct) =>
        {
            if (await DrPlans.LoadAsync(context, context.Get(planArgument)!, ct).ConfigureAwait(false) is not { } plan)
            {
                return ExitCodes.Error;
            }

            var chosen = Choose(plan, context.Get(systems) ?? []);
            await using var services = DrPlans.Services(plan, context.AppendOnly);
            var drills = services.GetRequiredService<IRecoveryDrillRunner>();
            var results = new List<RecoveryDrillResult>(chosen.Count);
            foreach (var system in chosen)
            {
                var result = await drills.RunAsync(plan, system, ct).ConfigureAwait(false);
                results.Add(result);
                if (!context.Json)
                {
                    await PrintAsync(context.Output, result).ConfigureAwait(false);
                }
            }

            if (context.Json)
            {
                await context.Output.WriteJsonAsync(results, DrillJson.Default.ListRecoveryDrillResult).ConfigureAwait(false);
            }

            var failed = results.Where(r => !r.Succeeded || r.CleanupProblems.Count > 0).Select(r => r.System).ToList();
            if (failed.Count > 0)
            {
                await context.Output.ErrorAsync($"error: the drill of {DatabaseEngines.Join(failed)} failed").ConfigureAwait(false);
                return ExitCodes.ProblemsFound;
            }

            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The systems to drill: the named ones (each must exist), or all by tier, then name.</summary>
    internal static IReadOnlyList<string> Choose(RecoveryPlan plan, IReadOnlyList<string> named)
    {
        if (named.Count == 0)
        {
            return [.. plan.Systems.OrderBy(s => s.Value.Tier).ThenBy(s => s.Key, StringComparer.OrdinalIgnoreCase).Select(s => s.Key)];
        }

        var unknown = named.Where(n => !plan.Systems.ContainsKey(n)).ToList();
        return unknown.Count == 0
            ? [.. named.Distinct(StringComparer.OrdinalIgnoreCase)]
            : throw new CliUsageException(
                $"--system: the plan has no system {DatabaseEngines.Join(unknown.Select(n => $"'{n}'"))}.{Nearest.Suggestion(unknown, plan.Systems.Keys)} Its systems: {string.Join(", ", plan.Systems.Keys)}.");
    }

    private static async Task PrintAsync(OutputWriter output, RecoveryDrillResult result)
    {
        // Under a minute in seconds: a drill of a small system takes less than one, and "0:00" reads as nothing measured.
        static string Achieved(TimeSpan time) => time < TimeSpan.FromMinutes(1) ? Format.Seconds(time) : Format.Duration(time);
        var rto = result.TargetRto is { } targetRto ? $"{Achieved(result.AchievedRto)} (target {Format.Duration(targetRto)}{(result.MetRto ? string.Empty : ", MISSED")})" : Achieved(result.AchievedRto);
        var rpo = result.AchievedRpo is not { } achieved ? "nothing restored"
            : result.TargetRpo is { } targetRpo ? $"{Achieved(achieved)} (target {Format.Duration(targetRpo)}{(result.MetRpo ? string.Empty : ", MISSED")})"
            : Achieved(achieved);
        await output.InfoAsync($"System {result.System}: drill {(result.Succeeded ? "succeeded" : "FAILED")}; achieved RTO {rto}, RPO {rpo}").ConfigureAwait(false);
        foreach (var step in result.Steps)
        {
            var line = $"  {step.Outcome,-9} {step.Name} ({Format.Seconds(step.Duration)})";
            await output.InfoAsync(step.Error is null ? line : $"{line}: {step.Error}").ConfigureAwait(false);
            foreach (var warning in step.Warnings)
            {
                await output.WarnAsync($"{step.Name}: {warning}").ConfigureAwait(false);
            }

            if (step.SkippedDeviceNodes > 0)
            {
                await output.InfoAsync($"  {step.Name}: skipped {step.SkippedDeviceNodes} device node{(step.SkippedDeviceNodes == 1 ? "" : "s")} (a drill creates none; not a failure)").ConfigureAwait(false);
            }

            if (step.Outcome is RecoveryStepOutcome.Failed or RecoveryStepOutcome.TimedOut && step.Output is { } tail)
            {
                foreach (var outputLine in tail.Split('\n'))
                {
                    await output.ErrorAsync($"  {step.Name}: {outputLine}").ConfigureAwait(false);
                }
            }
        }

        foreach (var removed in result.CleanedUp)
        {
            await output.InfoAsync($"  removed {removed}").ConfigureAwait(false);
        }

        foreach (var problem in result.CleanupProblems)
        {
            await output.ErrorAsync($"error: could not make sure this scratch target is gone; if it exists, remove it by hand: {problem}").ConfigureAwait(false);
        }
    }
}
