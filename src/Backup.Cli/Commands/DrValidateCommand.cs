using System.CommandLine;
using Backup.DisasterRecovery;
using Microsoft.Extensions.DependencyInjection;

namespace Backup.Cli.Commands;

/// <summary><c>backup dr validate PLAN</c>: whether the plan can deliver what it promises, every gap with its reason.</summary>
internal static class DrValidateCommand
{
    public static Command Create(CommandRunner runner)
    {
        var plan = new Argument<string>("PLAN") { Description = "The plan file (YAML, or JSON for a .json file)." };
        var noCheck = new Option<bool>("--no-check") { Description = "Open the repositories but skip their structural check (then 3-2-1-1-0's zero errors is not shown)." };
        var command = new Command(
            "validate",
            "Validate a disaster-recovery plan: every system protected by a job, each RPO reachable by its jobs' schedules, copies against 3-2-1-1-0 " +
            "(three copies, two kinds of storage, one off site, one immutable, zero errors in a structural check), every repository opens, every step well formed. " +
            "Lists every finding; exits 4 when any is an error, 1 when the plan cannot be read.")
        {
            plan, noCheck,
        };
        runner.Bind(command, async (context, ct) =>
        {
            var path = context.Get(plan)!;
            if (await DrPlans.LoadAsync(context, path, ct).ConfigureAwait(false) is not { } loaded)
            {
                return ExitCodes.Error;
            }

            await using var services = DrPlans.Services(loaded);
            var result = await services.GetRequiredService<RecoveryPlanValidator>()
                .ValidateAsync(new RecoveryPlanValidationOptions { CheckRepositories = !context.Get(noCheck) }, ct).ConfigureAwait(false);
            var errors = result.Findings.Count(f => f.Severity == PlanFindingSeverity.Error);
            var warnings = result.Findings.Count - errors;
            if (context.Json)
            {
                await context.Output.WriteJsonAsync(DrValidateOutput.From(loaded, result), CliJson.Default.DrValidateOutput).ConfigureAwait(false);
            }
            else
            {
                foreach (var finding in result.Findings)
                {
                    await context.Output.LineAsync($"{finding.Severity.ToString().ToLowerInvariant()} [{finding.Rule}]: {finding.Message}").ConfigureAwait(false);
                }

                await context.Output.TableAsync(
                    ["SYSTEM", "TIER", "RPO", "RTO", "COPIES", "MEDIA", "OFF SITE", "IMMUTABLE", "CHECK ERRORS", "3-2-1-1-0"],
                    loaded.Systems.OrderBy(s => s.Value.Tier).ThenBy(s => s.Key, StringComparer.OrdinalIgnoreCase).Select(s =>
                    {
                        var copies = result.Copies[s.Key];
                        return (IReadOnlyList<string>)
                        [
                            s.Key, s.Value.Tier.ToString(System.Globalization.CultureInfo.InvariantCulture), Duration(s.Value.Rpo), Duration(s.Value.Rto),
                            Number(copies.Copies), string.Join(", ", copies.Media), Number(copies.OffSite), Number(copies.Immutable),
                            copies.VerificationErrors is { } e ? Number(e) + (copies.Unverified.Count == 0 ? "" : $" ({Number(copies.Unverified.Count)} not checked)") : "not checked", copies.Satisfied ? "yes" : $"{copies.Gaps.Count} gap(s)",
                        ];
                    })).ConfigureAwait(false);
                await context.Output.InfoAsync(errors == 0
                    ? $"Plan '{loaded.Name}' is valid ({warnings} warning(s))."
                    : $"Plan '{loaded.Name}' is not valid: {errors} error(s), {warnings} warning(s).").ConfigureAwait(false);
            }

            return errors == 0 ? ExitCodes.Success : ExitCodes.ProblemsFound;
        });
        return command;
    }

    /// <summary>An objective as people write it: "2h", "1d 6h", "45m".</summary>
    internal static string Duration(TimeSpan? duration)
    {
        if (duration is not { } d)
        {
            return "-";
        }

        var parts = new[] { (d.Days, "d"), (d.Hours, "h"), (d.Minutes, "m"), (d.Seconds, "s") }.Where(p => p.Item1 != 0).Select(p => $"{p.Item1}{p.Item2}").ToList();
        return parts.Count == 0 ? "0s" : string.Join(' ', parts);
    }

    private static string Number(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>The JSON of <c>backup dr validate --json</c>.</summary>
internal sealed record DrValidateOutput(string? Plan, bool Valid, int Errors, int Warnings, List<DrFindingOutput> Findings, List<DrCopiesOutput> Systems)
{
    public static DrValidateOutput From(RecoveryPlan plan, PlanValidationResult result)
    {
        var errors = result.Findings.Count(f => f.Severity == PlanFindingSeverity.Error);
        return new(
            plan.Name, result.IsValid, errors, result.Findings.Count - errors,
            [.. result.Findings.Select(f => new DrFindingOutput(f.Severity.ToString().ToLowerInvariant(), f.Rule, f.System, f.Message))],
            [.. plan.Systems.Select(s => (Name: s.Key, System: s.Value, Copies: result.Copies[s.Key])).OrderBy(s => s.System.Tier).ThenBy(s => s.Name, StringComparer.OrdinalIgnoreCase)
                .Select(s => new DrCopiesOutput(
                    s.Name, s.System.Tier, s.System.Rpo?.TotalSeconds, s.System.Rto?.TotalSeconds, s.Copies.Copies, [.. s.Copies.Media], s.Copies.OffSite, s.Copies.Immutable,
                    s.Copies.VerificationErrors, [.. s.Copies.Unverified], s.Copies.Satisfied, [.. s.Copies.Gaps]))]);
    }
}

/// <summary>One finding in <see cref="DrValidateOutput"/>.</summary>
internal sealed record DrFindingOutput(string Severity, string Rule, string? System, string Message);

/// <summary>One system's objectives (seconds) and copies against 3-2-1-1-0 in <see cref="DrValidateOutput"/>.</summary>
internal sealed record DrCopiesOutput(
    string Name, int Tier, double? RpoSeconds, double? RtoSeconds, int Copies, List<string> Media, int OffSite, int Immutable, int? VerificationErrors, List<string> Unverified, bool Satisfied, List<string> Gaps);
