using Backup.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Backup.DisasterRecovery;

/// <summary>Adds disaster-recovery plans to a host's backup services.</summary>
public static class DisasterRecoveryBuilderExtensions
{
    /// <summary>
    /// Adds the disaster-recovery services for <paramref name="plan"/>: its systems refer to the host's jobs and
    /// repositories (the plan's own <see cref="RecoveryPlan.Backup"/> section is not used in a host).
    /// </summary>
    public static BackupBuilder AddDisasterRecovery(this BackupBuilder builder, RecoveryPlan plan)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(plan);
        builder.Services.TryAddSingleton(plan);
        // Each part of the package registers its services here (drill runner, validator, report, hosted drills).
        builder.Services.TryAddSingleton(_ => new DrillHttpClient());
        builder.Services.TryAddSingleton<IRecoveryDrillRunner, RecoveryDrillRunner>();
        builder.Services.TryAddSingleton<RecoveryPlanValidator>();
        builder.Services.TryAddSingleton<RecoveryReportBuilder>();
        AddHostedDrills(builder.Services);
        return builder;
    }

    /// <summary>Scheduled drills (systems with a drill schedule), the drill history the health checks read, and the achieved RPO/RTO gauges.</summary>
    private static void AddHostedDrills(IServiceCollection services)
    {
        services.TryAddSingleton<RecoveryDrillHistory>();
        services.TryAddSingleton(sp => new DisasterRecoveryTelemetry(
            sp.GetService<System.Diagnostics.Metrics.IMeterFactory>() ?? new OwnedMeterFactory(),
            sp.GetRequiredService<RecoveryPlan>(),
            sp.GetRequiredService<RecoveryDrillHistory>()));
        services.TryAddSingleton<RecoveryDrillScheduler>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, RecoveryDrillScheduler>(sp => sp.GetRequiredService<RecoveryDrillScheduler>()));
    }
}
