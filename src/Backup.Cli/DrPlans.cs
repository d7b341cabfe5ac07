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
        RefuseRepositoryOptions(context);
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

    /// <summary>
    /// Refuses, in append-only mode, to run jobs whose retention deletes snapshots: the run would fail each of them after
    /// its backup, or, before append-only mode reached a plan's repositories, delete what the mode promises to keep.
    /// </summary>
    /// <exception cref="CliUsageException">The run is append-only and one of <paramref name="jobs"/> has a retention policy.</exception>
    public static void RefuseRetentionInAppendOnlyMode(CommandContext context, RecoveryPlan plan, IEnumerable<string> jobs)
    {
        if (!context.AppendOnly)
        {
            return;
        }

        var deleting = jobs.Where(j => plan.Backup.Jobs.GetValueOrDefault(j)?.Retention is not null).Select(j => $"'{j}'").ToList();
        if (deleting.Count > 0)
        {
            throw new CliUsageException(
                $"This run is append-only (--append-only or ${CommandContext.AppendOnlyVariable}), which never deletes, and the plan's job{(deleting.Count == 1 ? "" : "s")} " +
                $"{string.Join(", ", deleting)} appl{(deleting.Count == 1 ? "ies" : "y")} retention, which forgets snapshots. Run 'backup dr backup' from a machine whose " +
                "credentials may delete, without append-only mode, or choose other jobs with --job.");
        }
    }

    /// <summary>
    /// Refuses the global options that choose or shape one repository (--repo, --password-file, --allow-insecure-http,
    /// --limit-upload, --limit-download): a plan's repositories, their passwords and their endpoints come from the
    /// plan, so the run would go ahead as if the option had not been given.
    /// </summary>
    private static void RefuseRepositoryOptions(CommandContext context)
    {
        var given = new List<string>();
        if (context.Repo is not null)
        {
            given.Add("--repo");
        }

        if (context.PasswordFile is not null)
        {
            given.Add("--password-file");
        }

        if (context.AllowInsecureHttp)
        {
            given.Add("--allow-insecure-http");
        }

        if (context.Bandwidth?.UploadBytesPerSecond is not null)
        {
            given.Add("--limit-upload");
        }

        if (context.Bandwidth?.DownloadBytesPerSecond is not null)
        {
            given.Add("--limit-download");
        }

        if (given.Count > 0)
        {
            throw new CliUsageException(
                $"{string.Join(", ", given)} {(given.Count == 1 ? "does" : "do")} not apply to 'backup dr' commands: a plan's repositories are set in the plan " +
                "(Location, PasswordFile or PasswordEnvironmentVariable, AllowInsecureHttp, LimitUpload and LimitDownload in each repository's entry). " +
                $"Set {(given.Count == 1 ? "it" : "them")} there, and run the command without {(given.Count == 1 ? "it" : "them")}.");
        }
    }

    /// <summary>The plan's services (the caller disposes them).</summary>
    /// <param name="plan">The plan.</param>
    /// <param name="appendOnly">
    /// Open every repository of the plan append-only, as --append-only or $BACKUP_APPEND_ONLY opens <c>--repo</c>: for
    /// the commands that write (<c>dr backup</c>, <c>dr drill</c>), so that nothing a plan runs on a machine meant never
    /// to delete deletes. No job's retention is applied then (the caller refuses the jobs it runs that have one).
    /// </param>
    public static ServiceProvider Services(RecoveryPlan plan, bool appendOnly = false) =>
        RecoveryPlanServices.Create(plan, builder =>
        {
            if (appendOnly)
            {
                builder.Services.PostConfigure<Backup.Extensions.DependencyInjection.BackupHostingOptions>(options =>
                {
                    foreach (var repository in options.Repositories.Values)
                    {
                        repository.AppendOnly = true;
                    }

                    // No job of this run applies retention: dr backup refuses the chosen jobs that would, and a drill runs
                    // none. Left in place, the others' Retention would fail the options' check of AppendOnly with
                    // Retention, so the whole run, naming an AppendOnly setting the plan does not have.
                    foreach (var job in options.Jobs.Values)
                    {
                        job.Retention = null;
                    }
                });
            }

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
