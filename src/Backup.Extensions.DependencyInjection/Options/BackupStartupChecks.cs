using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Backup.Extensions.DependencyInjection;

/// <summary>
/// The checks that need the outside world, run when the host starts (before any hosted service's StartAsync, so
/// before the scheduler): every path of a job backed up by the file system exists, and each repository with
/// <see cref="BackupRepositoryOptions.OpenOnStart"/> opens with its key. All failures are reported at once in an
/// <see cref="OptionsValidationException"/>, as the configuration's own validation errors are; a wrong or missing
/// password fails start-up instead of the first run at 2 a.m. Messages name the setting, never a secret.
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
        foreach (var (name, repository) in settings.Repositories)
        {
            if (repository.OpenOnStart)
            {
                await OpenAsync(settings, name, repository, errors, cancellationToken).ConfigureAwait(false);
            }
        }

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

    private async Task OpenAsync(BackupHostingOptions settings, string name, BackupRepositoryOptions repository, List<string> errors, CancellationToken cancellationToken)
    {
        var path = $"{settings.SectionPath}:Repositories:{name}";
        try
        {
            _ = await repositories.GetAsync(name, cancellationToken).ConfigureAwait(false);
            Log.RepositoryOpenedOnStart(logger, name);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Key sources and Core name where the secret was looked for, never the secret itself.
            errors.Add($"{path}: cannot be opened at start-up (OpenOnStart) with its key from {KeySetting(path, repository)}: {e.Message}");
        }
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
