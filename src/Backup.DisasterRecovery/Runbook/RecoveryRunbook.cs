using System.Globalization;
using System.Text;
using Backup.Core.Storage.Locations;
using Backup.Extensions.DependencyInjection;

namespace Backup.DisasterRecovery;

/// <summary>
/// The human runbook of a plan (Markdown): its systems by tier, each with its objectives, the jobs and copies that
/// hold its data, and its recovery steps in order with the exact commands an operator would type without the
/// tool's drill machinery at hand: <c>backup restore</c> for files and databases, <c>curl</c> for HTTP calls, a
/// polling loop for health waits and <c>backup verify</c>. Secrets appear only as where they come from (an
/// environment variable or a file) or as a placeholder; the plan never holds them.
/// </summary>
public static class RecoveryRunbook
{
    /// <summary>The runbook of <paramref name="plan"/>, jobs and repositories taken from its Backup section.</summary>
    public static string ToMarkdown(RecoveryPlan plan) => ToMarkdown(plan, []);

    /// <summary>
    /// The runbook of <paramref name="plan"/>, with each remote repository's settings as the environment variables
    /// <paramref name="targetProviders"/> read them from (the backup tool's: <c>export BACKUP_SFTP_HOST_KEY=…</c>),
    /// so the operator need not translate the plan's setting names on a machine that has no configuration left.
    /// </summary>
    public static string ToMarkdown(RecoveryPlan plan, IEnumerable<ITargetProvider> targetProviders)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(targetProviders);
        var providers = targetProviders.ToDictionary(p => p.Scheme, StringComparer.OrdinalIgnoreCase);
        var backup = plan.Backup;
        var text = new StringBuilder();
        var systems = plan.Systems.OrderBy(s => s.Value.Tier).ThenBy(s => s.Key, StringComparer.OrdinalIgnoreCase).ToList();
        Line(text, $"# Disaster-recovery runbook: {plan.Name ?? "plan"}");
        text.AppendLine();
        text.AppendLine("Generated from the plan; regenerate it with `backup dr runbook PLAN` whenever the plan changes, rather than editing it.");
        text.AppendLine("Recover systems in tier order (tier 1 first). Each step shows the commands to type; run them in a POSIX shell with the `backup` tool and `curl` installed.");
        text.AppendLine("Secrets are never written here: commands read them from the environment variable or file the plan names, or show a `<placeholder>` to fill in.");
        text.AppendLine("A system's recovery time (RTO) runs from the start of its first step to the end of its last: note `date -u` before the first step and after the last, and compare the difference with the RTO below.");
        text.AppendLine();
        text.AppendLine("| Tier | System | RPO | RTO | Jobs | Steps |");
        text.AppendLine("|---:|---|---:|---:|---|---:|");
        foreach (var (name, system) in systems)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {system.Tier} | [{Cell(name)}](#{Anchor(name)}) | {Objective(system.Rpo)} | {Objective(system.Rto)} | {Cell(string.Join(", ", system.Jobs))} | {system.Steps.Count} |");
        }

        WriteNeeds(text, systems, plan, backup, providers);
        foreach (var (name, system) in systems)
        {
            WriteSystem(text, name, system, plan, backup, providers);
        }

        return text.ToString();
    }

    /// <summary>
    /// What the steps read that is not in the runbook: password and key files, environment variables and servers. The
    /// machine that ran the backups (and held the plan's files) may be gone, so each is listed with where the plan
    /// expects it, for the operator to bring from where it was kept off that machine.
    /// </summary>
    private static void WriteNeeds(StringBuilder text, List<KeyValuePair<string, RecoverySystem>> systems, RecoveryPlan plan, BackupHostingOptions backup, Dictionary<string, ITargetProvider> providers)
    {
        text.AppendLine();
        text.AppendLine("## Before you start");
        text.AppendLine();
        text.AppendLine("The machine that ran the backups may be gone, and with it every file and environment variable below that only it had. " +
            "Bring each to the machine you recover on, from where it was kept off that machine (a password manager, a vault), at the path shown or change the commands to where it is:");
        text.AppendLine();
        text.AppendLine("- The `backup` tool (`dotnet tool install -g Backup.Cli`), and `curl` for HTTP and wait steps.");
        var repositories = new List<string?>();
        foreach (var (_, system) in systems)
        {
            foreach (var jobName in system.Jobs)
            {
                if (backup.Jobs.TryGetValue(jobName, out var job))
                {
                    repositories.Add(job.Repository);
                    repositories.AddRange(job.CopyTo);
                }
            }

            repositories.AddRange(system.Copies.Select(c => c.Repository));
            repositories.AddRange(system.Steps.Select(s => s.Restore?.Repository));
        }

        foreach (var name in repositories.OfType<string>().Where(r => !string.IsNullOrWhiteSpace(r)).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            if (!backup.Repositories.TryGetValue(name, out var repository))
            {
                continue;
            }

            var location = repository.EffectiveLocation;
            var password = !string.IsNullOrWhiteSpace(repository.PasswordFile) ? $"its password in the file `{repository.PasswordFile}`"
                : !string.IsNullOrWhiteSpace(repository.PasswordEnvironmentVariable) ? $"its password in the environment variable `{repository.PasswordEnvironmentVariable}`"
                : "its password";
            var settings = new List<string>();
            Settings(settings, name, backup, providers);
            Line(text, $"- Repository '{name}' (`{location ?? "location not set"}`): {password}{(settings.Count > 0 ? "; and its provider's settings:" : ".")}");
            foreach (var setting in settings)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"  `{ShellText.OneLine(setting)}`");
            }
        }

        var engines = systems.SelectMany(s => s.Value.Steps).Select(s => s.Restore?.Job).OfType<string>()
            .Select(j => backup.Jobs.TryGetValue(j, out var job) ? PlanRules.DatabaseEngineOf(job, backup) : null).OfType<string>().ToHashSet(StringComparer.OrdinalIgnoreCase);
        if (engines.Contains("postgres"))
        {
            text.AppendLine("- For PostgreSQL restores, `pg_restore` (Debian: `postgresql-client`) at least as new as the server that was backed up; only driver-only snapshots need none.");
        }

        if (engines.Contains("mysql"))
        {
            text.AppendLine("- For MariaDB/MySQL restores, the `mariadb` (or `mysql`) client (Debian: `mariadb-client`); only driver-only snapshots need none.");
        }

        var databaseSecrets = new List<string>();
        foreach (var (_, system) in systems)
        {
            foreach (var restore in system.Steps.Select(s => s.Restore).OfType<RestoreStep>())
            {
                if (restore.Job is not null && backup.Jobs.TryGetValue(restore.Job, out var job) && PlanRules.DatabaseEngineOf(job, backup) is { } engine && !string.Equals(engine, "sqlite", StringComparison.OrdinalIgnoreCase))
                {
                    databaseSecrets.Add($"- The {engine} server to restore into (`{restore.ConnectionString ?? "not set in the plan"}`), running and reachable, with {PasswordSource(restore.PasswordEnvironmentVariable, restore.PasswordFile)}.");
                    if (system.Steps.Any(s => s.Verify is not null) && plan.Scratch.Databases.TryGetValue(engine, out var scratch))
                    {
                        databaseSecrets.Add($"- The {engine} scratch server that verify steps restore a test copy into (`{scratch.ConnectionString}`), with {PasswordSource(scratch.PasswordEnvironmentVariable, scratch.PasswordFile)}; when it was lost too, give any {engine} server you may create and drop databases on.");
                    }

                    if (string.Equals(engine, "postgres", StringComparison.OrdinalIgnoreCase))
                    {
                        databaseSecrets.Add("- PostgreSQL: a snapshot of one database holds no roles. Create on the server to restore into the roles its objects are granted to (`CREATE ROLE name`), or restore them from an `--all-databases` snapshot's `globals.sql`; a restore that meets a missing role stops and names every role the server lacks.");
                    }
                }
            }
        }

        foreach (var line in databaseSecrets.Distinct(StringComparer.Ordinal))
        {
            Line(text, $"{line}");
        }
    }

    private static string PasswordSource(string? environmentVariable, string? file) =>
        !string.IsNullOrWhiteSpace(environmentVariable) ? $"its password in the environment variable `{environmentVariable}`"
        : !string.IsNullOrWhiteSpace(file) ? $"its password in the file `{file}`"
        : "its password";

    private static void WriteSystem(StringBuilder text, string name, RecoverySystem system, RecoveryPlan plan, BackupHostingOptions backup, Dictionary<string, ITargetProvider> providers)
    {
        text.AppendLine();
        Line(text, $"## {name}");
        text.AppendLine();
        if (!string.IsNullOrWhiteSpace(system.Description))
        {
            text.AppendLine(ShellText.Prose(system.Description.Trim()));
            text.AppendLine();
        }

        Line(text, $"- Tier {system.Tier}; at most {Objective(system.Rpo)} of data lost (RPO); back in service within {Objective(system.Rto)} (RTO).");
        foreach (var jobName in system.Jobs)
        {
            if (backup.Jobs.TryGetValue(jobName, out var job))
            {
                var what = PlanRules.DatabaseEngineOf(job, backup) is { } engine ? $"the {engine} database of source '{job.Source}'" : $"files ({string.Join(", ", job.Paths.Select(p => $"`{p}`"))})";
                var copies = job.CopyTo.Count > 0 ? $", copied to {string.Join(", ", job.CopyTo.Select(c => $"'{c}'"))}" : "";
                Line(text, $"- Job '{jobName}': {what} into repository '{job.Repository}'{copies}; schedule `{job.Schedule ?? "none (on demand)"}`{(job.TimeZone is { } zone ? $" ({zone})" : "")}.");
            }
            else
            {
                Line(text, $"- Job '{jobName}': not defined in the plan.");
            }
        }

        foreach (var copy in system.Copies)
        {
            var traits = new List<string>();
            if (copy.OffSite)
            {
                traits.Add("off site");
            }

            if (copy.Immutable == true)
            {
                traits.Add("immutable");
            }

            if (copy.Media is { } media)
            {
                traits.Add(media);
            }

            Line(text, $"- Copy in repository '{copy.Repository}'{(traits.Count > 0 ? $" ({string.Join(", ", traits)})" : "")}: recover from it when the primary is lost: the same commands with `{Backup(copy.Repository, backup)}` (copied snapshots have IDs of their own there and keep their tags; list them with {string.Join(" or ", system.Jobs.Select(j => $"`snapshots --tag {ShellText.Quote(JobTag(j, backup))}`"))}).");
        }

        text.AppendLine();
        text.AppendLine("### Steps");
        if (system.Steps.Count == 0)
        {
            text.AppendLine();
            text.AppendLine("The plan lists no recovery steps for this system.");
            return;
        }

        var restores = new Dictionary<string, RestoreStep>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < system.Steps.Count; i++)
        {
            var step = system.Steps[i];
            text.AppendLine();
            Line(text, $"{i + 1}. **{step.Name}** (at most {Objective(step.Timeout)})");
            text.AppendLine();
            var lines = step.Kind switch
            {
                RecoveryStepKind.Restore => Restore(step.Restore!, backup, providers),
                RecoveryStepKind.Command => Command(step.Command!),
                RecoveryStepKind.Http => Http(step.Http!),
                RecoveryStepKind.WaitFor => Wait(step.WaitFor!, step.Timeout),
                RecoveryStepKind.Verify => Verify(step.Verify!, restores, plan, backup, providers),
                _ => ["# This step is malformed in the plan (it must do exactly one thing): see `backup dr validate`."],
            };
            if (step.Restore is { } restore && step.Name is { } stepName)
            {
                restores[stepName] = restore;
            }

            text.AppendLine("   ```sh");
            foreach (var line in lines)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"   {ShellText.OneLine(line)}");
            }

            text.AppendLine("   ```");
        }
    }

    private static List<string> Restore(RestoreStep restore, BackupHostingOptions backup, Dictionary<string, ITargetProvider> providers)
    {
        var lines = new List<string>();
        if (restore.Job is null || !backup.Jobs.TryGetValue(restore.Job, out var job))
        {
            return [$"# The job '{restore.Job}' is not defined in the plan."];
        }

        var repositoryName = restore.Repository ?? job.Repository;
        Settings(lines, repositoryName, backup, providers);
        var snapshot = Snapshot(restore.Job, repositoryName, restore.Snapshot, backup);
        var engine = PlanRules.DatabaseEngineOf(job, backup);
        if (engine is null)
        {
            var command = new StringBuilder($"{Backup(repositoryName, backup)} restore {snapshot} --target {(restore.Directory is { } directory ? ShellText.Quote(directory) : "'<directory to restore into>'")}");
            foreach (var path in restore.Paths)
            {
                command.Append(CultureInfo.InvariantCulture, $" --include {ShellText.Quote(path)}");
            }

            // The restore keeps each entry's snapshot path below the target: say where the files end up.
            var restored = RestoreLanding.PathsOf(restore, job);
            if (restored.Count > 0)
            {
                var into = restore.Directory ?? "<directory>";
                lines.Add($"# Entries keep their snapshot paths below the target: {string.Join(", ", restored.Select(p => $"{p} lands in {RestoreLanding.Of(into, p)}"))}.");
            }

            lines.Add(command.ToString());
            return lines;
        }

        var server = restore.ConnectionString is { } connectionString ? ShellText.Quote(connectionString) : "'<connection string of the server to restore into, without password>'";
        if (!string.Equals(engine, "sqlite", StringComparison.OrdinalIgnoreCase))
        {
            lines.Add($"export BACKUP_DB_PASSWORD={ShellText.Secret(restore.PasswordEnvironmentVariable, restore.PasswordFile, "password of the database server")}");
        }

        lines.Add($"{Backup(repositoryName, backup)} restore {snapshot} --to-{engine} {server}{(restore.Database is { } database ? $" --database {ShellText.Quote(database)}" : "")}");
        return lines;
    }

    private static List<string> Verify(VerifyStep verify, Dictionary<string, RestoreStep> restores, RecoveryPlan plan, BackupHostingOptions backup, Dictionary<string, ITargetProvider> providers)
    {
        if (verify.Restore is null || !restores.TryGetValue(verify.Restore, out var restore) || restore.Job is null || !backup.Jobs.TryGetValue(restore.Job, out var job))
        {
            return [$"# Verifies '{verify.Restore}', which is not an earlier restore step of this system."];
        }

        var lines = new List<string> { $"# Proves the snapshot restored by '{verify.Restore}' is complete and intact (a restore drill into scratch space); it does not look at what that step wrote." };
        var repositoryName = restore.Repository ?? job.Repository;
        Settings(lines, repositoryName, backup, providers);
        var snapshot = Snapshot(restore.Job, repositoryName, restore.Snapshot, backup);
        var engine = PlanRules.DatabaseEngineOf(job, backup);
        if (engine is null || string.Equals(engine, "sqlite", StringComparison.OrdinalIgnoreCase))
        {
            lines.Add($"{Backup(repositoryName, backup)} verify {snapshot}{(plan.Scratch.Directory is { } scratch ? $" --scratch {ShellText.Quote(scratch)}" : "")}");
            return lines;
        }

        plan.Scratch.Databases.TryGetValue(engine, out var server);
        lines.Add($"export BACKUP_DB_PASSWORD={ShellText.Secret(server?.PasswordEnvironmentVariable, server?.PasswordFile, "password of the scratch server")}");
        var scratchServer = server?.ConnectionString is { } connectionString ? ShellText.Quote(connectionString) : "'<connection string of a scratch server>'";
        lines.Add($"{Backup(repositoryName, backup)} verify {snapshot} --scratch {scratchServer}");
        return lines;
    }

    /// <summary>
    /// The snapshot argument: the ID prefix the plan names, or "latest" when the repository holds only this job's
    /// snapshots; otherwise "latest --tag job:NAME", the job's newest (the tool's "latest" alone is the repository's newest).
    /// </summary>
    private static string Snapshot(string jobName, string? repositoryName, string snapshot, BackupHostingOptions backup)
    {
        if (!string.Equals(snapshot, "latest", StringComparison.OrdinalIgnoreCase))
        {
            return ShellText.Quote(snapshot);
        }

        var shared = backup.Jobs.Any(j => !string.Equals(j.Key, jobName, StringComparison.OrdinalIgnoreCase)
            && (string.Equals(j.Value.Repository, repositoryName, StringComparison.OrdinalIgnoreCase) || j.Value.CopyTo.Contains(repositoryName ?? "", StringComparer.OrdinalIgnoreCase)));
        return shared ? $"latest --tag {ShellText.Quote(JobTag(jobName, backup))}" : "latest";
    }

    /// <summary>
    /// The tag a host writes into <paramref name="jobName"/>'s snapshots: "job:" and the name as configured. A plan may
    /// name the job in another case (names are matched without regard to it), and --tag matches exactly.
    /// </summary>
    private static string JobTag(string jobName, BackupHostingOptions backup) =>
        "job:" + (backup.Jobs.Keys.FirstOrDefault(k => string.Equals(k, jobName, StringComparison.OrdinalIgnoreCase)) ?? jobName);

    /// <summary>
    /// How the tool reaches a repository: "backup --repo LOCATION" with its password from the plan's file
    /// (--password-file) or variable (BACKUP_PASSWORD set from it for the one command). A password from a variable
    /// also clears BACKUP_PASSWORD_FILE for the command: the tool prefers that file to BACKUP_PASSWORD, and one
    /// exported for another repository (as docs/hosting.md shows) would otherwise fail the step as a wrong password.
    /// </summary>
    private static string Backup(string? name, BackupHostingOptions backup)
    {
        if (name is null || !backup.Repositories.TryGetValue(name, out var repository))
        {
            return "backup --repo '<repository location>'";
        }

        var location = repository.EffectiveLocation;
        var command = $"backup --repo {(location is null ? "'<repository location>'" : ShellText.Quote(location))}";
        if (!string.IsNullOrWhiteSpace(repository.PasswordFile))
        {
            return command + $" --password-file {ShellText.Quote(repository.PasswordFile)}";
        }

        if (!string.IsNullOrWhiteSpace(repository.PasswordEnvironmentVariable))
        {
            return repository.PasswordEnvironmentVariable == "BACKUP_PASSWORD"
                ? $"{NoPasswordFile}{command}"
                : $"{NoPasswordFile}BACKUP_PASSWORD={ShellText.Variable(repository.PasswordEnvironmentVariable)} {command}";
        }

        return $"{NoPasswordFile}BACKUP_PASSWORD={ShellText.Placeholder($"password of repository '{name}'")} {command}";
    }

    private const string NoPasswordFile = "BACKUP_PASSWORD_FILE= ";

    /// <summary>
    /// The provider settings a remote repository needs, as the environment variables the tool reads them from when
    /// the provider is known: a value the plan holds (a host key fingerprint, a key file's path; never a secret) is
    /// exported as it is, a secret as a placeholder. Without the provider, a reminder by setting name.
    /// </summary>
    private static void Settings(List<string> lines, string? name, BackupHostingOptions backup, Dictionary<string, ITargetProvider> providers)
    {
        if (name is null || !backup.Repositories.TryGetValue(name, out var repository))
        {
            return;
        }

        var location = repository.EffectiveLocation;
        if (location is not null && providers.TryGetValue(RepositoryLocation.Parse(location).Scheme, out var provider))
        {
            foreach (var setting in provider.Settings.Where(s => s.EnvironmentVariable is not null))
            {
                var variable = setting.EnvironmentVariable!;
                if (repository.Settings.TryGetValue(setting.Name, out var value) && !setting.IsSecret)
                {
                    lines.Add($"export {variable}={ShellText.Quote(value)}");
                }
                else if (setting.IsRequired || repository.Settings.ContainsKey(setting.Name))
                {
                    lines.Add($"export {variable}={ShellText.Placeholder(setting.Description)}   # repository '{name}' needs it");
                }
            }

            return;
        }

        if (repository.Settings.Count > 0)
        {
            lines.Add($"# Repository '{name}' needs its provider's settings in the environment: {string.Join(", ", repository.Settings.Keys.Order(StringComparer.OrdinalIgnoreCase))} (see the provider's variables in 'backup --help').");
        }
    }

    private static List<string> Command(CommandStep command)
    {
        var lines = new List<string>();
        var prefix = new StringBuilder();
        if (command.WorkingDirectory is { } directory)
        {
            lines.Add($"cd {ShellText.Quote(directory)}");
        }

        foreach (var (name, value) in command.Environment)
        {
            prefix.Append(CultureInfo.InvariantCulture, $"{name}={ShellText.Quote(value)} ");
        }

        lines.Add(prefix + string.Join(' ', command.Run.Select(ShellText.Quote)));
        return lines;
    }

    private static List<string> Http(HttpStep http)
    {
        var command = new StringBuilder($"curl -sS -X {http.Method.ToUpperInvariant()}");
        foreach (var (name, value) in http.Headers)
        {
            command.Append(CultureInfo.InvariantCulture, $" -H {ShellText.Quote($"{name}: {value}")}");
        }

        foreach (var (name, source) in http.SecretHeaders)
        {
            // Inside double quotes, where the shell expands the variable or runs head: so the header's name must be a
            // plain token and the variable's a variable name, or the operator gets a placeholder to fill in.
            var value = source.StartsWith("env:", StringComparison.OrdinalIgnoreCase) && ShellText.IsVariableName(source[4..]) ? $"${{{source[4..]}}}"
                : source.StartsWith("file:", StringComparison.OrdinalIgnoreCase) ? $"$(head -n 1 {ShellText.Quote(source[5..])})"
                : null;
            command.Append(value is not null && name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
                ? $" -H \"{name}: {value}\""
                : $" -H {ShellText.Quote($"{name}: <{name}>")}");
        }

        if (http.Body is { } body)
        {
            command.Append(CultureInfo.InvariantCulture, $" -H {ShellText.Quote($"Content-Type: {http.ContentType ?? "application/json"}")} --data-raw {ShellText.Quote(body)}");
        }

        var expected = http.ExpectStatus.Count == 0 ? null : string.Join('|', http.ExpectStatus);
        if (expected is null)
        {
            command.Append(" --fail-with-body");
        }
        else
        {
            command.Append(" -o /dev/stderr -w '%{http_code}\\n'");
        }

        command.Append(CultureInfo.InvariantCulture, $" {ShellText.Quote(http.Url?.OriginalString ?? "<url>")}");
        return expected is null
            ? [command.ToString()]
            : [$"{command} | grep -qxE {ShellText.Quote(expected)}   # expects HTTP {expected.Replace("|", " or ", StringComparison.Ordinal)}"];
    }

    private static List<string> Wait(WaitStep wait, TimeSpan timeout)
    {
        var expected = wait.ExpectStatus.Count == 0 ? "200" : string.Join('|', wait.ExpectStatus);
        var seconds = Math.Max(1, (long)Math.Ceiling(timeout.TotalSeconds));
        var interval = Math.Max(1, (long)Math.Ceiling(wait.Interval.TotalSeconds));
        return
        [
            $"# Polls until the URL answers HTTP {expected.Replace("|", " or ", StringComparison.Ordinal)}; gives up after {Objective(timeout)}.",
            $"timeout {seconds} sh -c 'until curl -s -o /dev/null -w \"%{{http_code}}\" \"$0\" | grep -qxE \"{expected}\"; do sleep {interval}; done' {ShellText.Quote(wait.Url?.OriginalString ?? "<url>")}",
        ];
    }

    private static string Objective(TimeSpan? duration) => duration is { } d ? PlanDurations.Format(d) : "(not set)";

    /// <summary>A line of plan values, formatted invariantly; no value may break it (<see cref="ShellText.OneLine"/>).</summary>
    private static void Line(StringBuilder text, FormattableString line) => text.AppendLine(ShellText.OneLine(FormattableString.Invariant(line)));

    private static string Cell(string text) => ShellText.OneLine(text).Replace("|", "\\|", StringComparison.Ordinal);

    // GitHub's heading anchors: lower case, spaces to dashes, punctuation dropped.
    private static string Anchor(string heading) =>
        new([.. heading.ToLowerInvariant().Where(c => char.IsLetterOrDigit(c) || c is ' ' or '-' or '_').Select(c => c == ' ' ? '-' : c)]);
}
