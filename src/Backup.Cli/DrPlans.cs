using Backup.DisasterRecovery;
using Microsoft.Extensions.DependencyInjection;

namespace Backup.Cli;

/// <summary>
/// What every <c>backup dr</c> command does first: read the plan (every problem on its own line, exit 1) and build
/// the services it runs on, with the tool's remote target providers and database engines (settings from the
/// environment variables each provider names, as for <c>--repo</c>).
/// </summary>
internal static class DrPlans
{
    /// <summary>
    /// The plan at <paramref name="path"/>, or null after printing why it could not be read. With --json the
    /// <see cref="RecoveryPlanException"/> goes on to the command runner, which reports it as every other failure is:
    /// one line of JSON on stderr, so a script reading stderr line by line gets no plain text.
    /// </summary>
    /// <exception cref="CliUsageException">--retention-lock was given, which a plan's repositories do not take.</exception>
    public static async Task<RecoveryPlan?> LoadAsync(CommandContext context, string path, CancellationToken cancellationToken)
    {
        RefuseRetentionLockOption(context);
        try
        {
            return await RecoveryPlanLoader.LoadAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (RecoveryPlanException e) when (!context.Output.IsJson)
        {
            var lines = e.Errors.Count == 1 ? [$"{path}: {e.Errors[0]}"] : e.Errors.Select(error => $"{path}: {error}").Prepend($"{path}: {e.Errors.Count} problems in the plan:");
            foreach (var line in lines)
            {
                await context.Output.ErrorAsync($"error: {line}").ConfigureAwait(false);
            }

            return null;
        }
    }

    /// <summary>
    /// Refuses --retention-lock: the option sets the lock of --repo's target, and a plan's repositories are built from
    /// the plan, so the run would go ahead without the lock the operator asked for (or, on a repository that records
    /// one, be refused with advice to pass the option that was passed).
    /// </summary>
    private static void RefuseRetentionLockOption(CommandContext context)
    {
        if (context.RetentionLock is not null)
        {
            throw new CliUsageException(
                "--retention-lock does not apply to 'backup dr' commands: a plan's repositories take their retention lock from the plan. Set it in the " +
                $"repository's settings there (settings: {{ RetentionLock: {context.RetentionLock} }}, with RetentionMode for S3 or RetentionPolicyLocked for Azure), " +
                $"or export {RepositoryTargets.RetentionLockVariable} for the repositories whose settings give none, and run the command without --retention-lock.");
        }
    }

    /// <summary>The plan's services (the caller disposes them).</summary>
    public static ServiceProvider Services(RecoveryPlan plan) =>
        RecoveryPlanServices.Create(plan, builder =>
        {
            foreach (var provider in RepositoryTargets.TargetProviders)
            {
                builder.AddTargetProvider(provider);
            }

            foreach (var engine in DatabaseEngines.All)
            {
                builder.AddDatabaseEngine(engine.Engine);
            }
        });
}
