using Backup.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Backup.DisasterRecovery;

/// <summary>
/// The services a plan runs on outside a host (the <c>backup dr</c> commands): the host's backup services configured
/// from the plan's <see cref="RecoveryPlan.Backup"/> section, so repositories, sources and jobs are opened exactly as
/// a host configured the same way would open them, plus the disaster-recovery services.
/// </summary>
public static class RecoveryPlanServices
{
    /// <summary>
    /// Builds a service provider for <paramref name="plan"/>. <paramref name="configure"/> adds what the plan's
    /// repositories and sources need (target providers, database engines). The caller disposes the provider.
    /// </summary>
    public static ServiceProvider Create(RecoveryPlan plan, Action<BackupBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var services = new ServiceCollection();
        services.AddBackup(builder =>
        {
            configure?.Invoke(builder);
            builder.AddDisasterRecovery(plan);
        });
        services.Configure<BackupHostingOptions>(options => CopyInto(plan.Backup, options));
        // The backup services log through ILogger<T>; silent unless configure registered real logging.
        services.TryAddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.TryAdd(ServiceDescriptor.Singleton(typeof(ILogger<>), typeof(Logger<>)));
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true });
    }

    private static void CopyInto(BackupHostingOptions from, BackupHostingOptions to)
    {
        foreach (var (name, repository) in from.Repositories)
        {
            to.Repositories[name] = repository;
        }

        foreach (var (name, source) in from.Sources)
        {
            to.Sources[name] = source;
        }

        foreach (var (name, job) in from.Jobs)
        {
            to.Jobs[name] = job;
        }

        to.Scheduler = from.Scheduler;
        to.Heartbeat = from.Heartbeat;
        to.Alerts = from.Alerts;
    }
}
