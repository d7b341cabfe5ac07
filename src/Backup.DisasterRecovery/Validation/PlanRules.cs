using Backup.Extensions.DependencyInjection;

namespace Backup.DisasterRecovery;

/// <summary>
/// The checks of a plan that need no repository: systems protected by existing jobs, objectives set, every step
/// well formed, drill schedules valid. Each finding names the setting's path and says what to do.
/// </summary>
internal static class PlanRules
{
    public const string Protected = "protected";
    public const string RpoSchedule = "rpo-schedule";
    public const string Snapshots = "snapshots";
    public const string Roles = "roles";
    public const string CopyRule = "3-2-1-1-0";
    public const string Repository = "repository";
    public const string Step = "step";
    public const string PlanRule = "plan";

    public static void Check(RecoveryPlan plan, BackupHostingOptions backup, List<PlanFinding> findings)
    {
        if (plan.Systems.Count == 0)
        {
            findings.Add(Error(PlanRule, null, "Systems: the plan names no system; add at least one under Systems."));
        }

        foreach (var (name, system) in plan.Systems)
        {
            CheckSystem(name, system, plan, backup, findings);
        }

        // A scratch server is there for the plan's database sources; one under a name none of them uses is a typo
        // ("postgress"), and the drills it was meant for fail for want of a server.
        var engines = backup.Sources.Values.Select(source => source.Engine).OfType<string>().Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        foreach (var engine in plan.Scratch.Databases.Keys.Where(key => !engines.Contains(key, StringComparer.OrdinalIgnoreCase)))
        {
            findings.Add(Warning(Step, null, $"Scratch:Databases:{engine}: no database source of the plan uses an engine of that name{Suggest(engine, engines, otherwise: engines.Count == 0 ? " (the plan backs up no database)." : null)}"));
        }

        foreach (var (engine, server) in plan.Scratch.Databases)
        {
            if (EnvironmentVariableName.Check($"Scratch:Databases:{engine}:PasswordEnvironmentVariable", server.PasswordEnvironmentVariable) is { } badName)
            {
                findings.Add(Error(Step, null, badName));
            }
        }
    }

    private static void CheckSystem(string name, RecoverySystem system, RecoveryPlan plan, BackupHostingOptions backup, List<PlanFinding> findings)
    {
        var path = $"Systems:{name}";
        if (system.Rpo is not { } rpo || rpo <= TimeSpan.Zero)
        {
            findings.Add(Error(PlanRule, name, $"{path}:Rpo: is required and must be positive (how much data may be lost, such as 1h)."));
        }

        if (system.Rto is not { } rto || rto <= TimeSpan.Zero)
        {
            findings.Add(Error(PlanRule, name, $"{path}:Rto: is required and must be positive (how long recovery may take, such as 30m)."));
        }

        if (system.Jobs.Count == 0)
        {
            findings.Add(Error(Protected, name, $"{path}:Jobs: no job protects this system; name the jobs (under Backup:Jobs) that back up its data."));
        }

        for (var i = 0; i < system.Jobs.Count; i++)
        {
            if (!backup.Jobs.ContainsKey(system.Jobs[i]))
            {
                findings.Add(Error(Protected, name, $"{path}:Jobs:{i}: '{system.Jobs[i]}' is not a job of the plan{Suggest(system.Jobs[i], backup.Jobs.Keys)}"));
            }
        }

        for (var i = 0; i < system.Copies.Count; i++)
        {
            var copy = system.Copies[i];
            if (string.IsNullOrWhiteSpace(copy.Repository))
            {
                findings.Add(Error(CopyRule, name, $"{path}:Copies:{i}:Repository: is required (a repository under Backup:Repositories)."));
            }
            else if (!backup.Repositories.ContainsKey(copy.Repository))
            {
                findings.Add(Error(CopyRule, name, $"{path}:Copies:{i}:Repository: '{copy.Repository}' is not a repository of the plan{Suggest(copy.Repository, backup.Repositories.Keys)}"));
            }
        }

        if (system.Drill.Schedule is { } schedule)
        {
            try
            {
                _ = CronSchedule.Parse(schedule, system.Drill.TimeZone);
            }
            catch (FormatException e)
            {
                findings.Add(Error(PlanRule, name, $"{path}:Drill:Schedule: {e.Message}."));
            }
        }

        CheckSteps(name, system, plan, backup, findings);
    }

    private static void CheckSteps(string systemName, RecoverySystem system, RecoveryPlan plan, BackupHostingOptions backup, List<PlanFinding> findings)
    {
        var path = $"Systems:{systemName}:Steps";
        if (system.Steps.Count == 0)
        {
            findings.Add(Warning(Step, systemName, $"{path}: the system has no recovery steps; list them in order (restore, command, http, waitFor, verify)."));
        }

        var seen = new Dictionary<string, RecoveryStep>(StringComparer.OrdinalIgnoreCase);
        var total = TimeSpan.Zero;
        for (var i = 0; i < system.Steps.Count; i++)
        {
            var step = system.Steps[i];
            var stepPath = $"{path}:{i}";
            total += step.Timeout;
            if (string.IsNullOrWhiteSpace(step.Name))
            {
                findings.Add(Error(Step, systemName, $"{stepPath}:Name: is required (what the step does, in the operator's words)."));
            }
            else if (!seen.TryAdd(step.Name, step))
            {
                findings.Add(Error(Step, systemName, $"{stepPath}:Name: '{step.Name}' is the name of an earlier step; step names are unique within a system."));
            }

            if (step.Timeout <= TimeSpan.Zero)
            {
                findings.Add(Error(Step, systemName, $"{stepPath}:Timeout: must be positive."));
            }

            switch (step.Kind)
            {
                case null:
                    var set = new[] { ("Restore", step.Restore is not null), ("Command", step.Command is not null), ("Http", step.Http is not null), ("WaitFor", step.WaitFor is not null), ("Verify", step.Verify is not null) }
                        .Where(k => k.Item2).Select(k => k.Item1).ToList();
                    findings.Add(Error(Step, systemName, set.Count == 0
                        ? $"{stepPath}: says nothing to do; set exactly one of Restore, Command, Http, WaitFor and Verify."
                        : $"{stepPath}: sets {string.Join(" and ", set)}; a step does exactly one thing, so split it into {set.Count} steps."));
                    break;
                case RecoveryStepKind.Restore:
                    CheckRestore(systemName, $"{stepPath}:Restore", step.Restore!, system, plan, backup, findings);
                    break;
                case RecoveryStepKind.Command:
                    CheckCommand(systemName, $"{stepPath}:Command", step.Command!, findings);
                    break;
                case RecoveryStepKind.Http:
                    CheckHttp(systemName, $"{stepPath}:Http", step.Http!, findings);
                    break;
                case RecoveryStepKind.WaitFor:
                    CheckWait(systemName, $"{stepPath}:WaitFor", step.WaitFor!, findings);
                    break;
                case RecoveryStepKind.Verify:
                    CheckVerify(systemName, $"{stepPath}:Verify", step.Verify!, system.Steps.Take(i), findings);
                    break;
            }
        }

        if (system.Rto is { } rto && rto > TimeSpan.Zero && total > rto)
        {
            findings.Add(Warning(Step, systemName,
                $"{path}: the steps' timeouts add up to {PlanDurations.Format(total)}, more than the RTO of {PlanDurations.Format(rto)}; a recovery that uses them could miss it (shorten the timeouts or raise Rto)."));
        }
    }

    private static void CheckRestore(string systemName, string path, RestoreStep restore, RecoverySystem system, RecoveryPlan plan, BackupHostingOptions backup, List<PlanFinding> findings)
    {
        if (string.IsNullOrWhiteSpace(restore.Job))
        {
            findings.Add(Error(Step, systemName, $"{path}:Job: is required (the job whose snapshot is restored)."));
            return;
        }

        if (!backup.Jobs.TryGetValue(restore.Job, out var job))
        {
            findings.Add(Error(Step, systemName, $"{path}:Job: '{restore.Job}' is not a job of the plan{Suggest(restore.Job, backup.Jobs.Keys)}"));
            return;
        }

        if (!system.Jobs.Contains(restore.Job, StringComparer.OrdinalIgnoreCase))
        {
            findings.Add(Warning(Step, systemName, $"{path}:Job: '{restore.Job}' is not one of the system's Jobs; add it there so its schedule and copies count for the system."));
        }

        if (restore.Repository is { } repository && !backup.Repositories.ContainsKey(repository))
        {
            findings.Add(Error(Step, systemName, $"{path}:Repository: '{repository}' is not a repository of the plan{Suggest(repository, backup.Repositories.Keys)}"));
        }

        if (string.IsNullOrWhiteSpace(restore.Snapshot))
        {
            findings.Add(Error(Step, systemName, $"{path}:Snapshot: must be 'latest' or a snapshot ID prefix."));
        }

        if (!string.IsNullOrWhiteSpace(restore.PasswordFile) && !string.IsNullOrWhiteSpace(restore.PasswordEnvironmentVariable))
        {
            findings.Add(Error(Step, systemName, $"{path}: set only one of PasswordFile and PasswordEnvironmentVariable."));
        }

        if (EnvironmentVariableName.Check($"{path}:PasswordEnvironmentVariable", restore.PasswordEnvironmentVariable) is { } badName)
        {
            findings.Add(Error(Step, systemName, badName));
        }

        var engine = DatabaseEngineOf(job, backup);
        if (engine is not null)
        {
            if (!string.IsNullOrWhiteSpace(restore.Directory) || restore.Paths.Count > 0)
            {
                findings.Add(Error(Step, systemName, $"{path}: '{restore.Job}' backs up a database; Directory and Paths are for files jobs (set ConnectionString and Database)."));
            }

            if (!plan.Scratch.Databases.ContainsKey(engine) && !string.Equals(engine, "sqlite", StringComparison.OrdinalIgnoreCase))
            {
                findings.Add(Warning(Step, systemName, $"{path}: drills restore '{restore.Job}' into a scratch {engine} database, but Scratch:Databases has no '{engine}' server; add one or drills of this system fail."));
            }
        }
        else
        {
            if (!string.IsNullOrWhiteSpace(restore.ConnectionString) || !string.IsNullOrWhiteSpace(restore.Database))
            {
                findings.Add(Error(Step, systemName, $"{path}: '{restore.Job}' backs up files; ConnectionString and Database are for database jobs (set Directory)."));
            }

            if (RestoreLanding.Nested(restore.Directory, RestoreLanding.PathsOf(restore, job)) is { } nested)
            {
                findings.Add(Warning(Step, systemName,
                    $"{path}:Directory: a restore recreates the snapshot's paths below its directory, so '{nested.Path}' would land in '{nested.Landing}'; set Directory to / to put the files back where they were."));
            }
        }
    }

    private static void CheckCommand(string systemName, string path, CommandStep command, List<PlanFinding> findings)
    {
        if (command.Run.Count == 0 || string.IsNullOrWhiteSpace(command.Run[0]))
        {
            findings.Add(Error(Step, systemName, $"{path}:Run: is required: the program and its arguments, as a list (the first item is the program)."));
        }

        if (command.DrillRun.Count > 0 && string.IsNullOrWhiteSpace(command.DrillRun[0]))
        {
            findings.Add(Error(Step, systemName, $"{path}:DrillRun: the first item must be the program."));
        }
    }

    private static void CheckHttp(string systemName, string path, HttpStep http, List<PlanFinding> findings)
    {
        Url(systemName, $"{path}:Url", http.Url, required: true, findings);
        Url(systemName, $"{path}:DrillUrl", http.DrillUrl, required: false, findings);
        if (string.IsNullOrWhiteSpace(http.Method) || !http.Method.All(c => char.IsAsciiLetter(c) || c == '-'))
        {
            findings.Add(Error(Step, systemName, $"{path}:Method: '{http.Method}' is not an HTTP method (GET, POST, PUT…)."));
        }

        Statuses(systemName, $"{path}:ExpectStatus", http.ExpectStatus, findings);
    }

    private static void CheckWait(string systemName, string path, WaitStep wait, List<PlanFinding> findings)
    {
        Url(systemName, $"{path}:Url", wait.Url, required: true, findings);
        Url(systemName, $"{path}:DrillUrl", wait.DrillUrl, required: false, findings);
        if (wait.Interval <= TimeSpan.Zero)
        {
            findings.Add(Error(Step, systemName, $"{path}:Interval: must be positive."));
        }

        Statuses(systemName, $"{path}:ExpectStatus", wait.ExpectStatus, findings);
    }

    private static void CheckVerify(string systemName, string path, VerifyStep verify, IEnumerable<RecoveryStep> earlier, List<PlanFinding> findings)
    {
        if (string.IsNullOrWhiteSpace(verify.Restore))
        {
            findings.Add(Error(Step, systemName, $"{path}:Restore: is required (the name of the earlier restore step it verifies)."));
            return;
        }

        var restores = earlier.Where(s => s.Kind == RecoveryStepKind.Restore && s.Name is not null).Select(s => s.Name!).ToList();
        if (!restores.Contains(verify.Restore, StringComparer.OrdinalIgnoreCase))
        {
            findings.Add(Error(Step, systemName, restores.Count == 0
                ? $"{path}:Restore: '{verify.Restore}' is not an earlier restore step; a verify step comes after the restore step it verifies."
                : $"{path}:Restore: '{verify.Restore}' is not an earlier restore step{Suggest(verify.Restore, restores, " (earlier restore steps: " + string.Join(", ", restores.Select(r => $"'{r}'")) + ")")}"));
        }
    }

    private static void Url(string systemName, string path, Uri? url, bool required, List<PlanFinding> findings)
    {
        if (url is null)
        {
            if (required)
            {
                findings.Add(Error(Step, systemName, $"{path}: is required (an absolute http:// or https:// URL)."));
            }

            return;
        }

        if (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            findings.Add(Error(Step, systemName, $"{path}: '{url.OriginalString}' is not an absolute http:// or https:// URL."));
        }
    }

    private static void Statuses(string systemName, string path, List<int> statuses, List<PlanFinding> findings)
    {
        foreach (var status in statuses.Where(s => s is < 100 or > 599))
        {
            findings.Add(Error(Step, systemName, $"{path}: {status} is not an HTTP status (100 to 599)."));
        }
    }

    /// <summary>The engine name of a database job ("postgres"), or null for a files job.</summary>
    internal static string? DatabaseEngineOf(BackupJobOptions job, BackupHostingOptions backup) =>
        job.Source is { } source && backup.Sources.TryGetValue(source, out var database) ? database.Engine ?? "database" : null;

    private static string Suggest(string name, IEnumerable<string> known, string? otherwise = null)
    {
        var list = known.ToList();
        return ConfigurationKeyChecker.Closest(name, list) is { } closest
            ? $"; did you mean '{closest}'?"
            : (otherwise ?? (list.Count == 0 ? " (it has none)" : $" (known: {string.Join(", ", list.Order(StringComparer.OrdinalIgnoreCase))})")) + ".";
    }

    internal static PlanFinding Error(string rule, string? system, string message) => new(PlanFindingSeverity.Error, rule, system, message);

    internal static PlanFinding Warning(string rule, string? system, string message) => new(PlanFindingSeverity.Warning, rule, system, message);
}
