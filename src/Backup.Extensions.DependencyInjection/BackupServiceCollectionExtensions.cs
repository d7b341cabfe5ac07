using Backup.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the backup services.</summary>
public static class BackupServiceCollectionExtensions
{
    /// <summary>
    /// Adds the backup services: <see cref="IBackupRepositoryProvider"/>, <see cref="IBackupServiceFactory"/>,
    /// <see cref="IBackupJobRunner"/>, <see cref="IBackupJobStateStore"/> and <see cref="BackupTelemetry"/>, with
    /// <see cref="BackupHostingOptions"/> validated when built and at host start-up, where job paths are also checked
    /// and repositories with <see cref="BackupRepositoryOptions.OpenOnStart"/> opened. Safe to call more than once.
    /// </summary>
    public static IServiceCollection AddBackup(this IServiceCollection services, Action<BackupBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<BackupHostingOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BackupHostingOptions>, BackupOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BackupHostingOptions>, DatabaseSourceOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BackupHostingOptions>, RepositoryLocationValidator>());
        services.TryAddSingleton(sp => new Backup.Core.Storage.Locations.TargetResolver(sp.GetServices<Backup.Core.Storage.Locations.ITargetProvider>()));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IBackupJobStateStore, InMemoryBackupJobStateStore>();
        services.TryAddSingleton<BackupTrackingStart>();
        services.TryAddSingleton<IBackupRepositoryProvider, BackupRepositoryProvider>();
        services.TryAddSingleton<IBackupServiceFactory, BackupServiceFactory>();
        // A host registers IMeterFactory; a bare ServiceCollection may not, and then the telemetry owns its meter.
        services.TryAddSingleton(sp => new BackupTelemetry(
            sp.GetService<System.Diagnostics.Metrics.IMeterFactory>() ?? new OwnedMeterFactory(),
            sp.GetRequiredService<IBackupJobStateStore>(),
            sp.GetService<Microsoft.Extensions.Logging.ILoggerFactory>()));
        services.TryAddSingleton<BackupHookRunner>();
        services.TryAddSingleton<BackupJobHistory>();
        services.TryAddSingleton(sp => new DatabaseSources(
            sp.GetRequiredService<IOptions<BackupHostingOptions>>().Value,
            sp.GetServices<Backup.Providers.IDatabaseEngine>(),
            sp.GetService<Microsoft.Extensions.Logging.ILoggerFactory>()));
        services.TryAddSingleton<IBackupJobRunner, BackupJobRunner>();
        services.TryAddSingleton<IBackupPathSourceFactory, FileSystemPathSourceFactory>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, BackupStartupChecks>());
        // Alerts (Backup:Alerts) need no call of their own: with no channel configured the dispatcher does nothing.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BackupHostingOptions>, BackupAlertOptionsValidator>());
        services.TryAddSingleton<AlertHttpClient>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IBackupNotificationSink, BackupAlertDispatcher>());
        configure?.Invoke(new BackupBuilder(services));
        return services;
    }

    /// <summary>
    /// Adds the scheduler: a hosted service running every job that has a schedule (see <see cref="BackupSchedulerOptions"/>).
    /// Calls <see cref="AddBackup"/> if it was not called.
    /// </summary>
    public static IServiceCollection AddBackupScheduler(this IServiceCollection services, Action<BackupSchedulerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddBackup();
        if (configure is not null)
        {
            services.Configure<BackupHostingOptions>(options => configure(options.Scheduler));
        }

        services.TryAddSingleton<BackupScheduler>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, BackupScheduler>(sp => sp.GetRequiredService<BackupScheduler>()));
        return services;
    }

    /// <summary>
    /// Adds one health check per configured job, named "backup:{job}" and tagged "backup" (or <paramref name="tags"/>):
    /// Unhealthy past the job's RPO, Degraded when its verification failed or is too old.
    /// </summary>
    public static IHealthChecksBuilder AddBackupHealthChecks(this IHealthChecksBuilder builder, IEnumerable<string>? tags = null, HealthStatus? failureStatus = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddBackup();
        if (builder.Services.Any(d => d.ServiceType == typeof(BackupHealthCheckRegistrations)))
        {
            // Already added: a second call would register every job's check twice.
            return builder;
        }

        var tagList = tags?.ToArray();
        builder.Services.AddSingleton(sp => new BackupHealthCheckRegistrations(sp.GetRequiredService<IOptions<BackupHostingOptions>>(), tagList, failureStatus));
        builder.Services.AddSingleton<IConfigureOptions<HealthCheckServiceOptions>>(sp => sp.GetRequiredService<BackupHealthCheckRegistrations>());
        return builder;
    }
}
