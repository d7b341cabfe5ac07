using Backup.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

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
        builder.Services.TryAddSingleton<RecoveryReportBuilder>();
        return builder;
    }
}
