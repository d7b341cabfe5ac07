using System.Globalization;
using Backup.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Backup.DisasterRecovery;

/// <summary>
/// The health of one system of the plan: Unhealthy when its recovery point is past its RPO, that is when the oldest
/// of its jobs' newest successful snapshots is older than the RPO (a system is only as recent as its least recent
/// part) or a job has none; Degraded when its last drill failed, when its newest successful drill is older than
/// <see cref="DrillPolicy.MaxAge"/> (or there is none and a maximum age is set), or when that drill took longer than
/// the RTO; otherwise Healthy (its description then names what the last drill's steps warned of). Data: rpoSeconds,
/// ageSeconds, recoveryPoint, rtoSeconds, lastDrill, lastDrillSucceeded, lastDrillWarnings, achievedRtoSeconds,
/// achievedRpoSeconds (each when known).
/// </summary>
internal sealed class RecoverySystemHealthCheck(string systemName, RecoveryPlan plan, BackupJobHistory jobs, RecoveryDrillHistory drills, TimeProvider time) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!plan.Systems.TryGetValue(systemName, out var system))
        {
            return HealthCheckResult.Unhealthy($"System '{systemName}' is not in the disaster-recovery plan.");
        }

        var now = time.GetUtcNow();
        var data = new Dictionary<string, object>();
        DateTimeOffset? recoveryPoint = null;
        string? missing = null;
        RecoveryDrillState drillState;
        try
        {
            foreach (var job in system.Jobs)
            {
                var last = await jobs.GetLastSuccessAsync(job, cancellationToken).ConfigureAwait(false);
                if (last is null)
                {
                    missing ??= job;
                }
                else if (recoveryPoint is null || last < recoveryPoint)
                {
                    recoveryPoint = last;
                }
            }

            drillState = await drills.GetAsync(systemName, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // An unreachable target or a wrong key is an expected state to report, not a bug: no stack trace for it.
            var expected = e is Core.Repository.RepositoryException or RepositoryKeyUnavailableException or IOException or TimeoutException or UnauthorizedAccessException;
            return HealthCheckResult.Unhealthy($"System '{systemName}': cannot read its snapshots or drills: {e.Message}", expected ? null : e);
        }

        if (system.Rpo is { } rpo)
        {
            data["rpoSeconds"] = rpo.TotalSeconds;
        }

        if (recoveryPoint is { } point)
        {
            data["recoveryPoint"] = point.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);
            data["ageSeconds"] = Math.Round((now - point).TotalSeconds, 3);
        }

        if (system.Rto is { } rto)
        {
            data["rtoSeconds"] = rto.TotalSeconds;
        }

        string[] lastDrillWarnings = drillState.Last is null ? [] : Warnings(drillState.Last);
        if (drillState.Last is { } lastDrill)
        {
            data["lastDrill"] = lastDrill.StartedAt.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);
            data["lastDrillSucceeded"] = lastDrill.Succeeded;
            if (lastDrillWarnings.Length > 0)
            {
                data["lastDrillWarnings"] = lastDrillWarnings;
            }
        }

        if (drillState.LastSuccess is { } success)
        {
            data["achievedRtoSeconds"] = Math.Round(success.AchievedRto.TotalSeconds, 3);
            if (success.AchievedRpo is { } achievedRpo)
            {
                data["achievedRpoSeconds"] = Math.Round(achievedRpo.TotalSeconds, 3);
            }
        }

        if (system.Jobs.Count == 0)
        {
            return HealthCheckResult.Unhealthy($"System '{systemName}' is protected by no job.", data: data);
        }

        if (missing is not null)
        {
            return HealthCheckResult.Unhealthy($"System '{systemName}': job '{missing}' has no successful snapshot.", data: data);
        }

        if (system.Rpo is { } objective && now - recoveryPoint!.Value > objective)
        {
            return HealthCheckResult.Unhealthy($"System '{systemName}': its recovery point is {ReportFormat.Duration(now - recoveryPoint.Value)} old, over its RPO of {ReportFormat.Duration(objective)}.", data: data);
        }

        if (drillState.Last is { Succeeded: false } failed)
        {
            var step = failed.Steps.FirstOrDefault(s => s.Outcome is RecoveryStepOutcome.Failed or RecoveryStepOutcome.TimedOut);
            return HealthCheckResult.Degraded(step is null
                ? $"System '{systemName}': the last drill failed."
                : $"System '{systemName}': the last drill failed at step '{step.Name}': {step.Error ?? step.Outcome.ToString()}", data: data);
        }

        if (system.Drill.MaxAge is { } maxAge && (drillState.LastSuccess is null || now - drillState.LastSuccess.StartedAt > maxAge))
        {
            return HealthCheckResult.Degraded($"System '{systemName}': no successful drill within {ReportFormat.Duration(maxAge)}.", data: data);
        }

        if (system.Rto is { } limit && drillState.LastSuccess is { } drill && drill.AchievedRto > limit)
        {
            return HealthCheckResult.Degraded($"System '{systemName}': the last drill took {ReportFormat.Duration(drill.AchievedRto)}, over its RTO of {ReportFormat.Duration(limit)}.", data: data);
        }

        // Warnings do not change the status: a step that warned passed, and one that says the recovery server could not
        // be asked (it often does not exist before a disaster) would otherwise keep a system Degraded for good.
        return lastDrillWarnings.Length > 0
            ? HealthCheckResult.Healthy($"System '{systemName}' is within its objectives; its last drill warned: {string.Join("; ", lastDrillWarnings)}", data)
            : HealthCheckResult.Healthy($"System '{systemName}' is within its objectives.", data);
    }

    /// <summary>What the drill's steps warned of without failing, each with its step.</summary>
    private static string[] Warnings(RecoveryDrillResult drill) =>
        [.. drill.Steps.SelectMany(step => step.Warnings.Select(warning => $"step '{step.Name}': {warning}"))];
}
