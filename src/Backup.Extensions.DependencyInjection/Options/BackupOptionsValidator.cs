using Backup.Core.Repository;
using Backup.Core.Sources.FileSystem;
using Backup.Core.Storage;
using Backup.Core.Verification;
using Microsoft.Extensions.Options;

namespace Backup.Extensions.DependencyInjection;

/// <summary>
/// Validates <see cref="BackupHostingOptions"/> when they are built (and at start-up with ValidateOnStart).
/// Every message starts with the configuration path of the bad setting, e.g.
/// "Backup:Jobs:nightly:Schedule: '61 * * * *' is not a valid cron expression".
/// </summary>
internal sealed class BackupOptionsValidator(IEnumerable<IBackupPathSourceFactory> pathSourceFactories, IEnumerable<NamedBackupSource> namedSources) : IValidateOptions<BackupHostingOptions>
{
    private readonly bool _hasPathSourceFactory = pathSourceFactories.Any();
    private readonly HashSet<string> _jobSources = new(namedSources.Select(s => s.Name), StringComparer.OrdinalIgnoreCase);

    public ValidateOptionsResult Validate(string? name, BackupHostingOptions options)
    {
        var errors = new List<string>();
        var root = options.SectionPath;
        foreach (var (repositoryName, repository) in options.Repositories)
        {
            ValidateRepository($"{root}:Repositories:{repositoryName}", repository, errors);
        }

        foreach (var (jobName, job) in options.Jobs)
        {
            ValidateJob($"{root}:Jobs:{jobName}", job, options, errors);
        }

        if (options.Scheduler.MaxJitter < TimeSpan.Zero)
        {
            errors.Add($"{root}:Scheduler:MaxJitter: must not be negative.");
        }

        if (options.Heartbeat.Timeout <= TimeSpan.Zero)
        {
            errors.Add($"{root}:Heartbeat:Timeout: must be positive.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void ValidateRepository(string path, BackupRepositoryOptions repository, List<string> errors)
    {
        // The location (or Path) and its target settings are checked by RepositoryLocationValidator.
        var keySources = new[] { repository.PasswordEnvironmentVariable, repository.PasswordFile, repository.KeyFile, repository.PasswordConfigurationKey }
            .Count(s => !string.IsNullOrWhiteSpace(s));
        if (repository.KeySource is null && keySources == 0)
        {
            errors.Add($"{path}: no key source; set one of PasswordEnvironmentVariable, PasswordFile, KeyFile, PasswordConfigurationKey (or a key source in code).");
        }
        else if (repository.KeySource is null && keySources > 1)
        {
            errors.Add($"{path}: more than one key source; set only one of PasswordEnvironmentVariable, PasswordFile, KeyFile, PasswordConfigurationKey.");
        }

        if (EnvironmentVariableName.Check($"{path}:PasswordEnvironmentVariable", repository.PasswordEnvironmentVariable) is { } badName)
        {
            errors.Add(badName);
        }

        try
        {
            _ = CompressionSetting.Parse(repository.Compression);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or NotSupportedException or RepositoryException)
        {
            errors.Add($"{path}:Compression: '{repository.Compression}' is not a valid compression setting ({e.Message})");
        }

        if (repository.RequestTimeout < TimeSpan.Zero)
        {
            errors.Add($"{path}:RequestTimeout: must not be negative (zero turns the deadline off).");
        }

        foreach (var (setting, rate) in new[] { (nameof(repository.LimitUpload), repository.LimitUpload), (nameof(repository.LimitDownload), repository.LimitDownload) })
        {
            try
            {
                _ = string.IsNullOrWhiteSpace(rate) ? 0 : BandwidthLimitOptions.ParseRate(rate);
            }
            catch (FormatException e)
            {
                errors.Add($"{path}:{setting}: {e.Message}");
            }
        }
    }

    private void ValidateJob(string path, BackupJobOptions job, BackupHostingOptions options, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(job.Repository))
        {
            errors.Add($"{path}:Repository: is required.");
        }
        else if (!options.Repositories.ContainsKey(job.Repository))
        {
            errors.Add($"{path}:Repository: '{job.Repository}' is not a configured repository (known: {string.Join(", ", options.Repositories.Keys.Order(StringComparer.Ordinal))}).");
        }

        if (job.SourceFactory is null && job.Source is { } source)
        {
            if (!_jobSources.Contains(source) && !options.Sources.ContainsKey(source))
            {
                var known = _jobSources.Union(options.Sources.Keys, StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal).ToList();
                errors.Add($"{path}:Source: '{source}' is not a configured source (known: {(known.Count == 0 ? "none" : string.Join(", ", known))}); configure it under {options.SectionPath}:Sources:{source} or add it in code with AddSource.");
            }

            if (job.Paths.Count > 0)
            {
                errors.Add($"{path}:Paths: set either Paths or Source, not both.");
            }
        }
        else if (job.SourceFactory is null)
        {
            if (job.Paths.Count == 0)
            {
                errors.Add($"{path}:Paths: at least one path is required (or set Source, or a source factory in code).");
            }
            else if (!_hasPathSourceFactory)
            {
                errors.Add($"{path}:Paths: no {nameof(IBackupPathSourceFactory)} is registered to back up paths.");
            }
        }

        ValidateExcludes($"{path}:Excludes", job, errors);
        if (job.Schedule is not null)
        {
            try
            {
                // Any date the fields allow comes round within a few years of any start; none means none ever.
                if (CronSchedule.Parse(job.Schedule).GetNextOccurrence(DateTimeOffset.UnixEpoch) is null)
                {
                    errors.Add($"{path}:Schedule: '{job.Schedule}' never fires (its day and month fields name no date, as 30 2 for February 30); the job would never run.");
                }
            }
            catch (FormatException e)
            {
                errors.Add($"{path}:Schedule: {e.Message}");
            }
        }

        if (!string.IsNullOrWhiteSpace(job.TimeZone))
        {
            try
            {
                _ = TimeZoneInfo.FindSystemTimeZoneById(job.TimeZone);
            }
            catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
            {
                errors.Add($"{path}:TimeZone: '{job.TimeZone}' is not a known time zone; give an IANA name such as Europe/Berlin, or UTC.");
            }
        }

        if (!Enum.IsDefined(job.Level))
        {
            errors.Add($"{path}:Level: '{job.Level}' is not a backup level (Full, Incremental, Differential).");
        }

        CheckPositive($"{path}:Rpo", job.Rpo, errors);
        CheckPositive($"{path}:Rto", job.Rto, errors);
        CheckPositive($"{path}:VerificationMaxAge", job.VerificationMaxAge, errors);
        if (job.HeartbeatUrl is { } url && (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps)))
        {
            errors.Add($"{path}:HeartbeatUrl: must be an absolute http or https URL.");
        }

        // An empty name (an unexpanded or unset variable) would start a new snapshot group with a blank host.
        if (job.Hostname is { } hostname && string.IsNullOrWhiteSpace(hostname))
        {
            errors.Add($"{path}:Hostname: is empty; leave it out to record this machine's name, or give the name to record.");
        }

        ValidateTags($"{path}:Tags", job, errors);
        if (job.Retention is { } retention)
        {
            ValidateRetention($"{path}:Retention", retention, job, errors);

            // Append-only refuses every delete: the first run with a snapshot to forget, and every run after, would fail.
            if (job.Repository is { } repositoryName && options.Repositories.TryGetValue(repositoryName, out var repository) && repository.AppendOnly)
            {
                errors.Add($"{path}:Retention: repository '{repositoryName}' is AppendOnly, which never deletes, so this retention would fail the job's runs; " +
                    "remove Retention (forget from a machine with full access to the repository) or set AppendOnly to false.");
            }
        }

        if (job.Verification is { } verification)
        {
            ValidateVerification($"{path}:Verification", verification, job, errors);
        }

        ValidateCopyTo($"{path}:CopyTo", job, options, errors);
        ValidateHooks($"{path}:PreHooks", job.PreHooks, errors);
        ValidateHooks($"{path}:PostHooks", job.PostHooks, errors);
    }

    // The backup refuses such a tag (BackupOptions.Validate), so without this check every run would fail instead of the start.
    private static void ValidateTags(string path, BackupJobOptions job, List<string> errors)
    {
        for (var i = 0; i < job.Tags.Count; i++)
        {
            var tag = job.Tags[i];
            if (string.IsNullOrWhiteSpace(tag) || tag.Contains(',', StringComparison.Ordinal))
            {
                errors.Add($"{path}:{i}: '{tag}' is not a tag: a tag must not be empty or contain a comma; give each tag as its own entry (\"Tags\": [ \"prod\", \"eu\" ]).");
            }
        }
    }

    private static void ValidateExcludes(string path, BackupJobOptions job, List<string> errors)
    {
        // Checked one by one so that every bad pattern is reported with its index, not only the first.
        for (var i = 0; i < job.Excludes.Count; i++)
        {
            try
            {
                new FileSystemSourceOptions { Excludes = [job.Excludes[i]] }.Validate();
            }
            catch (ArgumentException e)
            {
                errors.Add($"{path}:{i}: {StripParamName(e)}");
            }
        }
    }

    private static void ValidateRetention(string path, BackupRetentionOptions retention, BackupJobOptions job, List<string> errors)
    {
        try
        {
            _ = retention.ToPolicy(job.TimeZone);
        }
        catch (ArgumentException e) when (e.ParamName is { } setting && typeof(BackupRetentionOptions).GetProperty(setting) is not null)
        {
            errors.Add($"{path}:{setting}: {StripParamName(e)}");
        }
        catch (ArgumentException e)
        {
            errors.Add($"{path}: {StripParamName(e)}");
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            // An unknown job TimeZone is reported on its own; report here only the retention's own setting.
            if (retention.TimeZone is not null)
            {
                errors.Add($"{path}:TimeZone: '{retention.TimeZone}' is not a known time zone; give an IANA name such as Europe/Berlin, or UTC.");
            }
        }
    }

    private static void ValidateVerification(string path, BackupVerificationOptions verification, BackupJobOptions job, List<string> errors)
    {
        if (job.VerificationStep is not null)
        {
            errors.Add($"{path}: set either Verification or a verification step in code, not both.");
        }

        CheckPositive($"{path}:Every", verification.Every, errors);
        if (!verification.VerifiesSomething)
        {
            errors.Add($"{path}: verifies nothing; set Check, ReadDataSubset or RestoreDrill (or remove Verification).");
        }

        if (verification.ReadDataSubset is { } subset)
        {
            try
            {
                _ = ReadDataSubset.Parse(subset);
            }
            catch (Exception e) when (e is FormatException or ArgumentException)
            {
                errors.Add($"{path}:ReadDataSubset: {e.Message}");
            }
        }
    }

    private static void ValidateCopyTo(string path, BackupJobOptions job, BackupHostingOptions options, List<string> errors)
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < job.CopyTo.Count; i++)
        {
            var name = job.CopyTo[i];
            if (string.IsNullOrWhiteSpace(name))
            {
                errors.Add($"{path}:{i}: a repository name is required.");
            }
            else if (!options.Repositories.ContainsKey(name))
            {
                errors.Add($"{path}:{i}: '{name}' is not a configured repository (known: {string.Join(", ", options.Repositories.Keys.Order(StringComparer.Ordinal))}).");
            }
            else if (string.Equals(name, job.Repository, StringComparison.OrdinalIgnoreCase))
            {
                errors.Add($"{path}:{i}: '{name}' is the job's own repository; copies go to other repositories.");
            }
            else if (!seen.Add(name))
            {
                errors.Add($"{path}:{i}: '{name}' is listed more than once.");
            }
        }
    }

    // ArgumentException appends " (Parameter 'x')"; the path already names the setting.
    private static string StripParamName(ArgumentException e)
    {
        var message = e.Message;
        var suffix = e.ParamName is null ? -1 : message.LastIndexOf($" (Parameter '{e.ParamName}')", StringComparison.Ordinal);
        return suffix >= 0 ? message[..suffix] : message;
    }

    private static void ValidateHooks(string path, List<BackupHookOptions> hooks, List<string> errors)
    {
        for (var i = 0; i < hooks.Count; i++)
        {
            var hook = hooks[i];
            var hookPath = $"{path}:{i}";
            if ((hook.Action is null) == string.IsNullOrWhiteSpace(hook.Command))
            {
                errors.Add($"{hookPath}:Command: set exactly one of Command or an action in code.");
            }

            if (hook.Timeout <= TimeSpan.Zero)
            {
                errors.Add($"{hookPath}:Timeout: must be positive.");
            }

            if (!Enum.IsDefined(hook.OnError))
            {
                errors.Add($"{hookPath}:OnError: '{hook.OnError}' is not Fail or Continue.");
            }
        }
    }

    private static void CheckPositive(string path, TimeSpan? value, List<string> errors)
    {
        if (value is { } v && v <= TimeSpan.Zero)
        {
            errors.Add($"{path}: must be positive.");
        }
    }
}
