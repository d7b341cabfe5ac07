using System.Collections.Concurrent;
using Backup.Core.Pipeline;
using Backup.Core.Repository;
using Backup.Core.Storage;
using Backup.Core.Storage.Locations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Backup.Core;
using Backup.Core.Content;

namespace Backup.Extensions.DependencyInjection;

/// <summary>Opens each configured repository once and hands out the open instance; usable without the scheduler.</summary>
public interface IBackupRepositoryProvider
{
    /// <summary>The configured repository names.</summary>
    IReadOnlyCollection<string> Names { get; }

    /// <summary>
    /// The open repository called <paramref name="name"/>, opened (or created, with CreateIfMissing) on first use
    /// and cached; concurrent callers share one open. A failed open is not cached, so the next call tries again.
    /// </summary>
    /// <exception cref="KeyNotFoundException">No repository has that name.</exception>
    ValueTask<BackupRepository> GetAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>The key source configured for <paramref name="name"/>.</summary>
    IRepositoryKeySource GetKeySource(string name);
}

/// <summary>Creates the Core services over named repositories, each with the application's <see cref="TimeProvider"/>.</summary>
public interface IBackupServiceFactory
{
    /// <summary>A backup service over the repository called <paramref name="repositoryName"/>.</summary>
    ValueTask<BackupService> CreateBackupServiceAsync(string repositoryName, CancellationToken cancellationToken = default);

    /// <summary>A content reader (restore building block) over the repository called <paramref name="repositoryName"/>.</summary>
    ValueTask<ContentReader> CreateContentReaderAsync(string repositoryName, CancellationToken cancellationToken = default);
}

internal sealed class BackupServiceFactory(IBackupRepositoryProvider repositories, TimeProvider time, BackupTelemetry telemetry) : IBackupServiceFactory
{
    public async ValueTask<BackupService> CreateBackupServiceAsync(string repositoryName, CancellationToken cancellationToken = default) =>
        new(await repositories.GetAsync(repositoryName, cancellationToken).ConfigureAwait(false), time, telemetry.Diagnostics);

    public async ValueTask<ContentReader> CreateContentReaderAsync(string repositoryName, CancellationToken cancellationToken = default) =>
        (await repositories.GetAsync(repositoryName, cancellationToken).ConfigureAwait(false)).Content;
}

internal sealed class BackupRepositoryProvider : IBackupRepositoryProvider, IAsyncDisposable
{
    private readonly BackupHostingOptions _options;
    private readonly IServiceProvider _services;
    private readonly IConfiguration? _configuration;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TargetResolver _resolver;
    private readonly ConcurrentDictionary<string, BackupRepository> _open = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _gates = new(StringComparer.OrdinalIgnoreCase);

    // The provider creates the targets (from the location or the factory), so it disposes them, after their repositories.
    private readonly ConcurrentDictionary<string, IBackupTarget> _targets = new(StringComparer.OrdinalIgnoreCase);

    // A factory's target made for the start-up retention lock check, kept for the open: a factory is called once per
    // repository, and may hand out one shared instance that must not be disposed in between.
    private readonly ConcurrentDictionary<string, IBackupTarget> _checkedFactoryTargets = new(StringComparer.OrdinalIgnoreCase);

    public BackupRepositoryProvider(IOptions<BackupHostingOptions> options, IServiceProvider services, TimeProvider time, ILogger<BackupRepositoryProvider> logger)
    {
        _options = options.Value;
        _services = services;
        _configuration = services.GetService(typeof(IConfiguration)) as IConfiguration;
        _time = time;
        _logger = logger;
        _resolver = services.GetService(typeof(TargetResolver)) as TargetResolver ?? new TargetResolver([]);
    }

    public IReadOnlyCollection<string> Names => [.. _options.Repositories.Keys];

    public IRepositoryKeySource GetKeySource(string name)
    {
        var repository = Find(name);
        if (repository.KeySource is { } factory)
        {
            return factory(_services);
        }

        if (!string.IsNullOrWhiteSpace(repository.PasswordEnvironmentVariable))
        {
            return new EnvironmentVariableKeySource(repository.PasswordEnvironmentVariable);
        }

        if (!string.IsNullOrWhiteSpace(repository.PasswordFile))
        {
            return new FileKeySource(repository.PasswordFile);
        }

        if (!string.IsNullOrWhiteSpace(repository.KeyFile))
        {
            return new FileKeySource(repository.KeyFile, isKeyFile: true);
        }

        if (!string.IsNullOrWhiteSpace(repository.PasswordConfigurationKey))
        {
            return new ConfigurationKeySource(_configuration ?? throw new InvalidOperationException($"{_options.SectionPath}:Repositories:{name}:PasswordConfigurationKey: no IConfiguration is registered."), repository.PasswordConfigurationKey);
        }

        throw new InvalidOperationException($"{_options.SectionPath}:Repositories:{name}: no key source is configured.");
    }

    public ValueTask<BackupRepository> GetAsync(string name, CancellationToken cancellationToken = default) => GetAsync(name, create: true, cancellationToken);

    /// <summary>Like <see cref="GetAsync(string, CancellationToken)"/>, but never creates the repository: one that is not there yet throws <see cref="RepositoryNotFoundException"/> whatever CreateIfMissing says (for the readers that run before any job: health checks, the scheduler's catch-up).</summary>
    internal ValueTask<BackupRepository> GetExistingAsync(string name, CancellationToken cancellationToken) => GetAsync(name, create: false, cancellationToken);

    private async ValueTask<BackupRepository> GetAsync(string name, bool create, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (_open.TryGetValue(name, out var open))
        {
            return open;
        }

        var settings = Find(name);
        var gate = _gates.GetOrAdd(name, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_open.TryGetValue(name, out open))
            {
                return open;
            }

            var target = settings.TargetFactory is { } factory
                ? Limit(_checkedFactoryTargets.TryRemove(name, out var checkedTarget) ? checkedTarget : factory(_services), settings)
                : CreateTarget(name, settings, create);
            if (settings.Retry)
            {
                target = new RetryingTarget(target, timeProvider: _time, ownsInner: true);
            }

            if (settings.AppendOnly)
            {
                target = new AppendOnlyTarget(target, ownsInner: true);
            }

            try
            {
                var repository = await OpenAsync(name, settings, target, create, cancellationToken).ConfigureAwait(false);
                _targets[name] = target;
                _open[name] = repository;
                return repository;
            }
            catch
            {
                await DisposeTargetAsync(target).ConfigureAwait(false);
                throw;
            }
        }
        catch (RepositoryNotFoundException e) when (!settings.CreateIfMissing && e.Message == new RepositoryNotFoundException(e.Location).Message)
        {
            // The library's advice ("create a repository there") means 'backup init' to a tool user; in a host the fix
            // is one of two settings, so name them. A provider's own reason (a missing bucket) is kept as it is.
            var path = $"{_options.SectionPath}:Repositories:{name}";
            throw new RepositoryNotFoundException(e.Location, $"Check {path}:Location, or set {path}:CreateIfMissing to true to create the repository on first use.");
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// Throws <see cref="RetentionLockRequiredException"/> when the repository called <paramref name="name"/> records a
    /// retention lock that its target does not write, so that a host refuses to start rather than a job failing at its
    /// first write. An open repository is asked directly; otherwise only its config is read (one request, no key, no
    /// index), through a target made for the check. A repository that does not exist yet passes: one created here
    /// records the lock its target writes.
    /// </summary>
    /// <exception cref="KeyNotFoundException">No repository has that name.</exception>
    internal async Task RequireRetentionLockForWritingAsync(string name, CancellationToken cancellationToken)
    {
        if (_open.TryGetValue(name, out var open))
        {
            open.RequireRetentionLockForWriting();
            return;
        }

        var settings = Find(name);
        IBackupTarget target;
        try
        {
            target = settings.TargetFactory is { } factory ? _checkedFactoryTargets.GetOrAdd(name, _ => factory(_services)) : CreateTarget(name, settings, create: false);
        }
        catch (RepositoryNotFoundException)
        {
            // A local directory that is not there yet: created with the repository, which then records this target's lock.
            return;
        }

        try
        {
            await BackupRepository.RequireRetentionLockForWritingAsync(target, cancellationToken).ConfigureAwait(false);
        }
        catch (RepositoryNotFoundException)
        {
            // Not created yet: the job that creates it (CreateIfMissing) records the lock its target writes.
        }
        finally
        {
            if (settings.TargetFactory is null)
            {
                await DisposeTargetAsync(target).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The target at the repository's location, made by the same resolver as the backup tool's (no retry: added above).</summary>
    private IBackupTarget CreateTarget(string name, BackupRepositoryOptions settings, bool create)
    {
        var logger = _logger;
        return _resolver.Create(
            RepositoryLocation.Parse(settings.EffectiveLocation ?? throw new InvalidOperationException($"{_options.SectionPath}:Repositories:{name}:Location: is required.")),
            setting => RepositoryTargetSettings.Lookup(settings, setting, _services, Environment.GetEnvironmentVariable),
            new TargetCreateOptions
            {
                CreateIfMissing = settings.CreateIfMissing && create,
                AllowInsecureHttp = settings.AllowInsecureHttp,
                Warn = message => Log.InsecureTarget(logger, name, message),
                Retry = false,
                TimeProvider = _time,
                Bandwidth = settings.Bandwidth,
                RequestTimeout = settings.RequestTimeout == TimeSpan.Zero ? null : settings.RequestTimeout,
            });
    }

    /// <summary>A factory's target limited like a resolved one (inside the retry layer), when limits are set.</summary>
    private IBackupTarget Limit(IBackupTarget target, BackupRepositoryOptions settings) =>
        settings.Bandwidth is { } bandwidth ? new BandwidthLimitedTarget(target, bandwidth, _time, ownsInner: true) : target;

    private async Task<BackupRepository> OpenAsync(string name, BackupRepositoryOptions settings, IBackupTarget target, bool create, CancellationToken cancellationToken)
    {
        var keySource = GetKeySource(name);
        using var credentials = await keySource.GetCredentialsAsync(cancellationToken).ConfigureAwait(false);
        BackupRepository repository;
        var transforms = settings.Transforms?.Invoke(_services).ToList() ?? [];
        try
        {
            repository = await BackupRepository.OpenAsync(target, credentials, new RepositoryOpenOptions { Transforms = transforms }, cancellationToken).ConfigureAwait(false);
            Log.RepositoryOpened(_logger, name, target.Description, keySource.Description);
        }
        catch (RepositoryNotFoundException) when (settings.CreateIfMissing && create)
        {
            repository = await BackupRepository.InitAsync(target, credentials, new RepositoryInitOptions { Compression = settings.Compression, Transforms = transforms }, cancellationToken).ConfigureAwait(false);
            Log.RepositoryCreated(_logger, name, target.Description, keySource.Description);
        }

        var logger = _logger;
        repository.Locking.UnauthenticatedLockFound = message => Log.UnauthenticatedLockIgnored(logger, name, message);
        repository.Locking.StaleLockFound = message => Log.StaleLockIgnored(logger, name, message);
        repository.Locking.LockNotRemoved = message => Log.LockNotRemoved(logger, name, message);
        return repository;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var repository in _open.Values)
        {
            await repository.DisposeAsync().ConfigureAwait(false);
        }

        _open.Clear();
        foreach (var target in _targets.Values)
        {
            await DisposeTargetAsync(target).ConfigureAwait(false);
        }

        _targets.Clear();
        foreach (var target in _checkedFactoryTargets.Values)
        {
            await DisposeTargetAsync(target).ConfigureAwait(false);
        }

        _checkedFactoryTargets.Clear();
        foreach (var gate in _gates.Values)
        {
            gate.Dispose();
        }
    }

    private static async ValueTask DisposeTargetAsync(IBackupTarget target)
    {
        switch (target)
        {
            case IAsyncDisposable asyncDisposable:
                await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                break;
            case IDisposable disposable:
                disposable.Dispose();
                break;
        }
    }

    private BackupRepositoryOptions Find(string name) =>
        _options.Repositories.TryGetValue(name, out var settings)
            ? settings
            : throw new KeyNotFoundException($"No backup repository is called '{name}' (known: {string.Join(", ", _options.Repositories.Keys)}).");
}
