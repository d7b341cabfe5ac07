using System.CommandLine;
using System.Text;
using Backup.DisasterRecovery;
using Microsoft.Extensions.DependencyInjection;

namespace Backup.Cli.Commands;

/// <summary><c>backup dr report PLAN</c>: per system, targets against what the stored drills measured, copies and every deviation.</summary>
internal static class DrReportCommand
{
    public static Command Create(CommandRunner runner)
    {
        var plan = new Argument<string>("PLAN") { Description = "The plan file (YAML, or JSON for a .json file)." };
        var format = new Option<string>("--format") { Description = "md (Markdown), html (one self-contained page with a chart of RTO per drill) or json.", DefaultValueFactory = _ => "md" };
        format.AcceptOnlyFromAmong("md", "html", "json");
        var output = new Option<string?>("--output", "-o") { Description = "Write the report to FILE instead of standard output.", HelpName = "FILE" };
        var noCheck = new Option<bool>("--no-check") { Description = "Open the repositories but skip their structural check (then 3-2-1-1-0's zero errors is not shown)." };
        var command = new Command(
            "report",
            "Report on a disaster-recovery plan from the plan and the repositories alone: per system the target and achieved RPO and RTO " +
            "(from the drills stored in the repository of its first job), the last successful drill, the trend over the recent drills, " +
            "copy compliance (3-2-1-1-0) and every deviation. Exits 0 when every system meets its plan, 4 when there are deviations, 1 when the plan cannot be read.")
        {
            plan, format, output, noCheck,
        };
        runner.Bind(command, async (context, ct) =>
        {
            if (await DrPlans.LoadAsync(context, context.Get(plan)!, ct).ConfigureAwait(false) is not { } loaded)
            {
                return ExitCodes.Error;
            }

            await using var services = DrPlans.Services(loaded);
            var validation = await services.GetRequiredService<RecoveryPlanValidator>()
                .ValidateAsync(new RecoveryPlanValidationOptions { CheckRepositories = !context.Get(noCheck) }, ct).ConfigureAwait(false);
            var report = await services.GetRequiredService<RecoveryReportBuilder>().BuildAsync(loaded, validation, ct).ConfigureAwait(false);
            var text = (context.Json ? "json" : context.Get(format)) switch
            {
                "html" => report.ToHtml(),
                "json" => report.ToJson() + "\n",
                _ => report.ToMarkdown(),
            };
            if (context.Get(output) is { } file)
            {
                await File.WriteAllTextAsync(file, text, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), ct).ConfigureAwait(false);
                var met = report.Systems.Count(s => s.Met);
                await context.Output.InfoAsync($"Wrote the report of '{loaded.Name}' to {file}: {met} of {report.Systems.Count} system(s) meet the plan.").ConfigureAwait(false);
            }
            else
            {
                await context.Console.Out.WriteAsync(text.AsMemory(), ct).ConfigureAwait(false);
            }

            return report.Met ? ExitCodes.Success : ExitCodes.ProblemsFound;
        });
        return command;
    }
}
