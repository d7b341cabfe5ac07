using Backup.Core;
using Backup.Core.Snapshots;
using Backup.Core.Verification;
using Backup.Extensions.DependencyInjection;
using Backup.Providers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Backup.DisasterRecovery;

/// <summary>
/// Checks that a plan can deliver what it promises: every system protected by at least one existing job; each RPO
/// reachable by its jobs' schedules (the longest gap between two runs plus the time a run typically takes); the
/// copies against 3-2-1-1-0, with the reason for each gap; every repository opens; a structural check of every copy
/// finds no error; every step well formed; the server each database restore step recovers into has the roles its
/// snapshot needs (which a drill, restoring into a scratch server, cannot show). Jobs and repositories are the host's (<see cref="BackupHostingOptions"/>;
/// outside a host, the plan's own Backup section through <see cref="RecoveryPlanServices"/>).
/// </summary>
public sealed class RecoveryPlanValidator
{
    private readonly RecoveryPlan _plan;
    private readonly IOptions<BackupHostingOptions> _options;
    private readonly IServiceProvider _services;
    private readonly TimeProvider _time;

    /// <summary>Creates the validator of <paramref name="plan"/> over the host's jobs and repositories.</summary>
    /// <remarks>
    /// The <see cref="IBackupRepositoryProvider"/> is taken from <paramref name="services"/> only once the host's
    /// options validate (it reads them when it is built), so a Backup section the host would refuse becomes findings
    /// instead of an exception.
    /// </remarks>
    public RecoveryPlanValidator(RecoveryPlan plan, IOptions<BackupHostingOptions> backup, IServiceProvider services, TimeProvider time)
    {
        _plan = plan ?? throw new ArgumentNullException(nameof(plan));
        _options = backup ?? throw new ArgumentNullException(nameof(backup));
        _services = services ?? throw new ArgumentNullException(nameof(services));
        _time = time ?? throw new ArgumentNullException(nameof(time));
    }

    /// <summary>Validates the plan; <paramref name="options"/> says whether repositories are opened and checked (both by default).</summary>
    public async Task<PlanValidationResult> ValidateAsync(RecoveryPlanValidationOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new RecoveryPlanValidationOptions();
        var findings = new List<PlanFinding>();
        BackupHostingOptions backup;
        var open = options.OpenRepositories;
        try
        {
            backup = _options.Value;
        }
        catch (OptionsValidationException e)
        {
            // The jobs and repositories themselves are wrong (a job naming no repository, a source's engine not
            // registered): reported like the plan's own problems, the plan's Backup section judged as written, and no
            // repository opened (the repository provider cannot be built on options that do not validate).
            findings.AddRange(e.Failures.Select(failure => PlanRules.Error(PlanRules.PlanRule, null, failure)));
            backup = _plan.Backup;
            open = false;
        }

        PlanRules.Check(_plan, backup, findings);

        var states = new Dictionary<string, RepositoryState>(StringComparer.OrdinalIgnoreCase);
        if (open)
        {
            var repositories = _services.GetRequiredService<IBackupRepositoryProvider>();
            foreach (var name in _plan.Systems.Values.SelectMany(system => RepositoriesOf(system, backup)).Distinct(StringComparer.OrdinalIgnoreCase).Where(backup.Repositories.ContainsKey))
            {
                states[name] = await InspectAsync(repositories, name, options.CheckRepositories, findings, cancellationToken).ConfigureAwait(false);
            }
        }

        var copies = new Dictionary<string, CopyCompliance>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, system) in _plan.Systems)
        {
            await CheckScheduleAsync(name, system, backup, states, findings, cancellationToken).ConfigureAwait(false);
            await CheckSnapshotsAsync(name, system, backup, states, findings, cancellationToken).ConfigureAwait(false);
            if (open && options.CheckRestoreTargets)
            {
                await CheckRestoreTargetsAsync(name, system, backup, states, findings, cancellationToken).ConfigureAwait(false);
            }

            copies[name] = CopyRules.Assess(name, system, backup, states, open && options.CheckRepositories, findings);
        }

        return new PlanValidationResult
        {
            Findings = [.. findings.OrderBy(f => f.Severity)],
            Copies = copies,
        };
    }

    /// <summary>Every repository a system's data is in or restored from, as named in the plan.</summary>
    internal static IEnumerable<string> RepositoriesOf(RecoverySystem system, BackupHostingOptions backup)
    {
        foreach (var jobName in system.Jobs)
        {
            if (backup.Jobs.TryGetValue(jobName, out var job))
            {
                if (job.Repository is { } repository)
                {
                    yield return repository;
                }

                foreach (var copy in job.CopyTo)
                {
                    yield return copy;
                }
            }
        }

        foreach (var copy in system.Copies)
        {
            if (copy.Repository is { } repository)
            {
                yield return repository;
            }
        }

        foreach (var step in system.Steps)
        {
            if (step.Restore?.Repository is { } repository)
            {
                yield return repository;
            }
        }
    }

    private async Task<RepositoryState> InspectAsync(IBackupRepositoryProvider repositories, string name, bool check, List<PlanFinding> findings, CancellationToken cancellationToken)
    {
        BackupRepository repository;
        try
        {
            repository = await repositories.GetAsync(name, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            findings.Add(PlanRules.Error(PlanRules.Repository, null, $"Backup:Repositories:{name}: does not open: {e.Message}"));
            return new RepositoryState(null, null);
        }

        if (!check)
        {
            return new RepositoryState(repository, null);
        }

        CheckResult result;
        try
        {
            result = await new VerificationService(repository, _time).CheckAsync(new CheckOptions(), progress: null, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            findings.Add(PlanRules.Error(PlanRules.Repository, null, $"Backup:Repositories:{name}: the structural check could not run: {e.Message}"));
            return new RepositoryState(repository, null);
        }

        var errors = result.Errors.ToList();
        foreach (var problem in errors.Take(5))
        {
            findings.Add(PlanRules.Error(PlanRules.Repository, null, $"Backup:Repositories:{name}: check found {problem.Kind} in {problem.Object}: {problem.Message}"));
        }

        if (errors.Count > 5)
        {
            findings.Add(PlanRules.Error(PlanRules.Repository, null, $"Backup:Repositories:{name}: check found {errors.Count - 5} more error(s)."));
        }

        return new RepositoryState(repository, errors.Count);
    }

    private async Task CheckScheduleAsync(string systemName, RecoverySystem system, BackupHostingOptions backup, Dictionary<string, RepositoryState> states, List<PlanFinding> findings, CancellationToken cancellationToken)
    {
        if (system.Rpo is not { } rpo || rpo <= TimeSpan.Zero)
        {
            return;
        }

        foreach (var jobName in system.Jobs)
        {
            if (!backup.Jobs.TryGetValue(jobName, out var job))
            {
                continue;
            }

            if (string.IsNullOrWhiteSpace(job.Schedule))
            {
                findings.Add(PlanRules.Error(PlanRules.RpoSchedule, systemName,
                    $"Systems:{systemName}:Rpo: job '{jobName}' has no Schedule, so it runs only when asked and nothing keeps its data within the RPO of {PlanDurations.Format(rpo)}; give it a schedule."));
                continue;
            }

            TimeSpan? gap;
            try
            {
                gap = CronSchedule.Parse(job.Schedule, job.TimeZone).GetLongestGap(_time.GetUtcNow());
            }
            catch (FormatException e)
            {
                // The Backup section's own validation names a schedule that is not cron already (rule plan), and a job
                // that several systems share is one mistake: an operator reads it once.
                var setting = $"Backup:Jobs:{jobName}:Schedule:";
                if (!findings.Any(f => f.Message.StartsWith(setting, StringComparison.OrdinalIgnoreCase)))
                {
                    findings.Add(PlanRules.Error(PlanRules.RpoSchedule, systemName, $"{setting} {e.Message}."));
                }

                continue;
            }

            if (gap is null)
            {
                findings.Add(PlanRules.Error(PlanRules.RpoSchedule, systemName,
                    $"Systems:{systemName}:Rpo: job '{jobName}''s schedule '{job.Schedule}' runs at most once, so it cannot keep its data within the RPO of {PlanDurations.Format(rpo)}."));
                continue;
            }

            var duration = job.Repository is { } repositoryName && states.TryGetValue(repositoryName, out var state) && state.Repository is { } repository
                ? await TypicalDurationAsync(repository, jobName, cancellationToken).ConfigureAwait(false)
                : null;
            var worst = gap.Value + (duration ?? TimeSpan.Zero);
            if (worst > rpo)
            {
                var runs = duration is { } d ? $" plus the {PlanDurations.Format(d)} a run typically takes" : "";
                findings.Add(PlanRules.Error(PlanRules.RpoSchedule, systemName,
                    $"Systems:{systemName}:Rpo: {PlanDurations.Format(rpo)} cannot be met by job '{jobName}': its schedule '{job.Schedule}' leaves up to {PlanDurations.Format(gap.Value)} between runs{runs}, " +
                    $"so up to {PlanDurations.Format(worst)} of data can be lost; schedule the job more often or raise the RPO."));
            }
        }
    }

    /// <summary>
    /// Warns about a job of <paramref name="system"/> that has no complete snapshot in its repository yet (a recovery
    /// now would have nothing to restore, and a drill fails), or whose newest one is older than the system's RPO.
    /// </summary>
    private async Task CheckSnapshotsAsync(string systemName, RecoverySystem system, BackupHostingOptions backup, Dictionary<string, RepositoryState> states, List<PlanFinding> findings, CancellationToken cancellationToken)
    {
        foreach (var jobName in system.Jobs)
        {
            if (!backup.Jobs.TryGetValue(jobName, out var job) || job.Repository is not { } repositoryName || !states.TryGetValue(repositoryName, out var state) || state.Repository is not { } repository)
            {
                continue;
            }

            // A snapshot dated after now (a clock that ran ahead, or one added by anyone who holds the password) says
            // nothing of how old the last backup is: taken as the newest, the RPO would look kept until that date.
            DateTimeOffset? newest;
            try
            {
                newest = (await BackupJobHistory.NewestJobSnapshotAsync(repository, jobName, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false))?.Time;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The repository's own check reports what cannot be read.
                continue;
            }

            if (newest is null)
            {
                findings.Add(PlanRules.Warning(PlanRules.Snapshots, systemName,
                    $"Systems:{systemName}: job '{jobName}' has no complete snapshot in repository '{repositoryName}' yet, so a recovery now would have nothing to restore and a drill fails; " +
                    $"run the job (its host does on schedule; 'backup dr backup PLAN --job {jobName}' runs it once). Snapshots made outside the job (backup create) do not count."));
            }
            else if (system.Rpo is { } rpo && rpo > TimeSpan.Zero && _time.GetUtcNow() - newest.Value > rpo)
            {
                findings.Add(PlanRules.Warning(PlanRules.Snapshots, systemName,
                    $"Systems:{systemName}: job '{jobName}''s newest complete snapshot in repository '{repositoryName}' is {PlanDurations.Format(_time.GetUtcNow() - newest.Value)} old, past the RPO of {PlanDurations.Format(rpo)}; " +
                    "see why the job has not run or failed (its host's log and health check)."));
            }
        }
    }

    /// <summary>
    /// Asks the server each database restore step recovers into (its ConnectionString) whether it has the roles the
    /// snapshot the step restores needs: an error naming them when it lacks some (the recovery would stop at the first),
    /// a warning when that cannot be told (a snapshot from before roles were recorded, a server that does not answer).
    /// </summary>
    private async Task CheckRestoreTargetsAsync(string systemName, RecoverySystem system, BackupHostingOptions backup, Dictionary<string, RepositoryState> states, List<PlanFinding> findings, CancellationToken cancellationToken)
    {
        var engines = _services.GetServices<IDatabaseEngine>().ToList();
        for (var i = 0; i < system.Steps.Count; i++)
        {
            if (system.Steps[i].Restore is not { Job: { } jobName, ConnectionString: { Length: > 0 } } restore
                || !backup.Jobs.TryGetValue(jobName, out var job)
                || job.Source is not { Length: > 0 } sourceName
                || !backup.Sources.TryGetValue(sourceName, out var source)
                || DatabaseSources.Find(engines, source.Engine) is not { Location: DatabaseLocation.ConnectionString } engine
                || (restore.Repository ?? job.Repository) is not { } repositoryName
                || !states.TryGetValue(repositoryName, out var state) || state.Repository is not { } repository)
            {
                continue;
            }

            Snapshot? snapshot;
            try
            {
                snapshot = string.Equals(restore.Snapshot, "latest", StringComparison.OrdinalIgnoreCase)
                    ? await BackupJobHistory.NewestJobSnapshotAsync(repository, jobName, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false)
                    : await repository.Snapshots.FindAsync(restore.Snapshot, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // No snapshot to restore, or one that cannot be read: the snapshot and repository checks say so.
                continue;
            }

            if (snapshot is null)
            {
                continue;
            }

            foreach (var problem in await RestoreTargetRoles.CheckAsync($"Systems:{systemName}:Steps:{i}:Restore", restore, engine, snapshot, cancellationToken).ConfigureAwait(false))
            {
                findings.Add(problem.Missing ? PlanRules.Error(PlanRules.Roles, systemName, problem.Message) : PlanRules.Warning(PlanRules.Roles, systemName, problem.Message));
            }
        }
    }

    /// <summary>The median duration of the job's recent snapshots (its tag "job:NAME"), or null when none recorded one.</summary>
    private static async Task<TimeSpan?> TypicalDurationAsync(BackupRepository repository, string jobName, CancellationToken cancellationToken)
    {
        var tag = "job:" + jobName;
        var durations = new List<(DateTimeOffset Time, TimeSpan Duration)>();
        try
        {
            await foreach (var snapshot in repository.Snapshots.ListAsync(onError: null, cancellationToken).ConfigureAwait(false))
            {
                if (snapshot.Statistics.Duration > TimeSpan.Zero && snapshot.Tags.Contains(tag, StringComparer.OrdinalIgnoreCase))
                {
                    durations.Add((snapshot.Time, snapshot.Statistics.Duration));
                }
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The check reports an unreadable repository; the schedule is then judged without durations.
            return null;
        }

        if (durations.Count == 0)
        {
            return null;
        }

        var recent = durations.OrderByDescending(d => d.Time).Take(20).Select(d => d.Duration).Order().ToList();
        return recent[recent.Count / 2];
    }
}

/// <summary>What validation learned about one repository: the open repository (null when it did not open) and the check's error count (null when not checked).</summary>
internal sealed record RepositoryState(BackupRepository? Repository, int? CheckErrors);
