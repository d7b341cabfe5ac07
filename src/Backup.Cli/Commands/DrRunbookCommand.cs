using System.CommandLine;
using System.Text;
using Backup.DisasterRecovery;

namespace Backup.Cli.Commands;

/// <summary><c>backup dr runbook PLAN</c>: the plan's human runbook (Markdown), generated so it is always current.</summary>
internal static class DrRunbookCommand
{
    public static Command Create(CommandRunner runner)
    {
        var plan = new Argument<string>("PLAN") { Description = "The plan file (YAML, or JSON for a .json file)." };
        var output = new Option<string?>("--output", "-o") { Description = "Write the runbook to FILE instead of standard output.", HelpName = "FILE" };
        var command = new Command(
            "runbook",
            "Write the plan's runbook (Markdown): systems by tier, each recovery step in order with the exact commands to type without the tool's drills " +
            "(backup restore, curl, the health wait loop, backup verify). Secrets appear only as the variable or file they come from. Reads no repository.")
        {
            plan, output,
        };
        runner.Bind(command, async (context, ct) =>
        {
            if (await DrPlans.LoadAsync(context, context.Get(plan)!, ct).ConfigureAwait(false) is not { } loaded)
            {
                return ExitCodes.Error;
            }

            var markdown = RecoveryRunbook.ToMarkdown(loaded, RepositoryTargets.TargetProviders);
            if (context.Get(output) is { } file)
            {
                await File.WriteAllTextAsync(file, markdown, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), ct).ConfigureAwait(false);
                await context.Output.InfoAsync($"Wrote the runbook of '{loaded.Name}' ({loaded.Systems.Count} system(s)) to {file}.").ConfigureAwait(false);
            }
            else
            {
                await context.Console.Out.WriteAsync(markdown.AsMemory(), ct).ConfigureAwait(false);
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
