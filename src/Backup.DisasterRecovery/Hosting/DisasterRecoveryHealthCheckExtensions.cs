using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Backup.DisasterRecovery;

/// <summary>Adds the disaster-recovery plan's health checks to a host.</summary>
public static class DisasterRecoveryHealthCheckExtensions
{
    /// <summary>
    /// Adds one health check per system of the plan registered with
    /// <see cref="DisasterRecoveryBuilderExtensions.AddDisasterRecovery"/>, named "dr:{system}" and tagged "dr" (or
    /// <paramref name="tags"/>): Unhealthy past the system's RPO, Degraded when its last drill failed, is older than
    /// its drill policy allows, or exceeded its RTO.
    /// </summary>
    public static IHealthChecksBuilder AddDisasterRecoveryHealthChecks(this IHealthChecksBuilder builder, IEnumerable<string>? tags = null, HealthStatus? failureStatus = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (builder.Services.Any(d => d.ServiceType == typeof(RecoveryHealthCheckRegistrations)))
        {
            // Already added: a second call would register every system's check twice.
            return builder;
        }

        var tagList = tags?.ToArray();
        builder.Services.AddSingleton(sp => new RecoveryHealthCheckRegistrations(sp.GetRequiredService<RecoveryPlan>(), tagList, failureStatus));
        builder.Services.AddSingleton<IConfigureOptions<HealthCheckServiceOptions>>(sp => sp.GetRequiredService<RecoveryHealthCheckRegistrations>());
        return builder;
    }
}

/// <summary>Adds one health check per system of the plan when the health check options are built.</summary>
internal sealed class RecoveryHealthCheckRegistrations(RecoveryPlan plan, IEnumerable<string>? tags, HealthStatus? failureStatus) : IConfigureOptions<HealthCheckServiceOptions>
{
    public void Configure(HealthCheckServiceOptions options)
    {
        foreach (var system in plan.Systems.Keys)
        {
            options.Registrations.Add(new HealthCheckRegistration(
                $"dr:{system}",
                sp => ActivatorUtilities.CreateInstance<RecoverySystemHealthCheck>(sp, system),
                failureStatus,
                tags ?? ["dr"]));
        }
    }
}
