using Backup.Core.Repository;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Backup.Extensions.DependencyInjection;

/// <summary>
/// The checks that need the outside world, run when the host starts (before any hosted service's StartAsync, so
/// before the scheduler): every path of a job backed up by the file system exists, each repository with
/// <see cref="BackupRepositoryOptions.OpenOnStart"/> opens with its key, and each repository a job writes to (its
/// Repository and CopyTo) is written with the retention lock it records, if any. All failures are reported at once in
/// an <see cref="OptionsValidationException"/>, as the configuration's own validation errors are; a wrong or missing
/// password or a missing RetentionLock setting fails start-up instead of the first run at 2 a.m. Messages name the
/// setting, never a secret.
/// </summary>
internal sealed class BackupStartupChecks(
    IOptions<BackupHostingOptions> options,
    IBackupRepositoryProvider repositories,
    IEnumerable<IBackupPathSourceFactory> pathSources,
    BackupTrackingStart trackingStart,
    ILogger<BackupStartupChecks> logger) : IHostedLifecycleService
{
    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        // Taken here so that job tracking starts with the host, not at the first health probe.
        _ = trackingStart.Time;
        var settings = options.Value;
        var errors = new List<string>();
        CheckPaths(settings, errors);
        var notOpened = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, repository) in settings.Repositories)
        {
            if (repository.OpenOnStart && !await OpenAsync(settings, name, repository, errors, cancellationToken).ConfigureAwait(false))
            {
                notOpened.Add(name);
            }
        }

        await CheckRetentionLocksAsync(settings, notOpened, errors, cancellationToken).ConfigureAwait(false);

        if (errors.Count > 0)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(BackupHostingOptions), errors);
        }
    }

    private void CheckPaths(BackupHostingOptions settings, List<string> errors)
    {
        // Paths are file-system paths only for the built-in factory; a replacement may read them as anything.
        if (pathSources.LastOrDefault() is not FileSystemPathSourceFactory)
        {
            return;
        }

        foreach (var (jobName, job) in settings.Jobs)
        {
            if (job.SourceFactory is not null || job.Source is not null)
            {
                continue;
            }

            for (var i = 0; i < job.Paths.Count; i++)
            {
                var path = job.Paths[i];
                if (!string.IsNullOrWhiteSpace(path) && !Path.Exists(path))
                {
                    errors.Add($"{settings.SectionPath}:Jobs:{jobName}:Paths:{i}: '{path}' does not exist or cannot be accessed by this process.");
                }
            }
        }
    }

    /// <returns>Whether the repository opened (a failure is in <paramref name="errors"/>).</returns>
    private async Task<bool> OpenAsync(BackupHostingOptions settings, string name, BackupRepositoryOptions repository, List<string> errors, CancellationToken cancellationToken)
    {
        var path = $"{settings.SectionPath}:Repositories:{name}";
        try
        {
            _ = await repositories.GetAsync(name, cancellationToken).ConfigureAwait(false);
            Log.RepositoryOpenedOnStart(logger, name);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Key sources and Core name where the secret was looked for, never the secret itself.
            errors.Add($"{path}: cannot be opened at start-up (OpenOnStart) with its key from {KeySetting(path, repository)}: {e.Message}");
            return false;
        }
    }

    /// <summary>
    /// Refuses start-up when a repository a job backs up into records a retention lock its settings do not give: every
    /// run of that job would be refused at its first write (nothing written, but found out only when it runs). A
    /// repository only copied to is logged as a warning instead (event 6), so that the local backups still run. One read of each such repository's config, not per job or object. Storage that cannot be reached now
    /// does not fail start-up (only OpenOnStart asks for that): it is logged, and each job still checks before writing.
    /// </summary>
    private async Task CheckRetentionLocksAsync(BackupHostingOptions settings, HashSet<string> notOpened, List<string> errors, CancellationToken cancellationToken)
    {
        if (repositories is not BackupRepositoryProvider provider)
        {
            // A provider of the application's own opens repositories its own way; its jobs are still refused at their first write.
            return;
        }

        var writers = WritersByRepository(settings);
        foreach (var (name, jobs) in writers)
        {
            // A repository that failed to open is already reported; an unknown name is a validation error of its own.
            if (notOpened.Contains(name) || !settings.Repositories.ContainsKey(name))
            {
                continue;
            }

            try
            {
                await provider.RequireRetentionLockForWritingAsync(name, cancellationToken).ConfigureAwait(false);
            }
            catch (RetentionLockRequiredException e) when (jobs.Any(j => j.EndsWith(BacksUpInto, StringComparison.Ordinal)))
            {
                errors.Add($"{settings.SectionPath}:Repositories:{name}, which {string.Join(" and ", jobs)}: {e.Message}");
            }
            catch (RetentionLockRequiredException e)
            {
                // Only copies write there, and a failed copy never costs a job its own snapshot: failing start-up would
                // stop the local backups over an off-site setting, so this is said now and each copy is refused as it runs.
                Log.CopyDestinationRetentionLockMissing(logger, name, string.Join(" and ", jobs), e.Message);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                Log.RetentionLockNotCheckedOnStart(logger, name, e.Message);
            }
        }
    }

    private const string BacksUpInto = "backs up into";

    /// <summary>Each repository jobs write to, with what writes it ("job 'nightly' backs up into", "job 'nightly' copies to").</summary>
    private static Dictionary<string, List<string>> WritersByRepository(BackupHostingOptions settings)
    {
        var writers = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (var (jobName, job) in settings.Jobs.OrderBy(j => j.Key, StringComparer.OrdinalIgnoreCase))
        {
            var written = (string.IsNullOrWhiteSpace(job.Repository) ? [] : new[] { (Name: job.Repository, How: BacksUpInto) })
                .Concat(job.CopyTo.Where(c => !string.IsNullOrWhiteSpace(c)).Select(c => (Name: c, How: "copies to")));
            foreach (var (name, how) in written)
            {
                if (!writers.TryGetValue(name, out var list))
                {
                    writers[name] = list = [];
                }

                list.Add($"job '{jobName}' {how}");
            }
        }

        return writers;
    }

    private static string KeySetting(string path, BackupRepositoryOptions repository) =>
        repository.KeySource is not null ? "the key source set in code"
        : !string.IsNullOrWhiteSpace(repository.PasswordEnvironmentVariable) ? $"{path}:PasswordEnvironmentVariable ('{repository.PasswordEnvironmentVariable}')"
        : !string.IsNullOrWhiteSpace(repository.PasswordFile) ? $"{path}:PasswordFile ('{repository.PasswordFile}')"
        : !string.IsNullOrWhiteSpace(repository.KeyFile) ? $"{path}:KeyFile ('{repository.KeyFile}')"
        : !string.IsNullOrWhiteSpace(repository.PasswordConfigurationKey) ? $"{path}:PasswordConfigurationKey ('{repository.PasswordConfigurationKey}')"
        : "no key source";

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
