using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Backup.Extensions.DependencyInjection;

/// <summary>
/// The health of one job: Unhealthy when its newest successful snapshot is older than its RPO (or there is none;
/// exactly at the RPO it is still Healthy), Degraded when there is none and no RPO is set, when its last verification failed or is older than
/// <see cref="BackupJobOptions.VerificationMaxAge"/> (by default what the job's Verification policy allows), when the
/// last restore drill took longer than the RTO, or when the last copy to a secondary repository failed, or when the
/// last run was Partial or Failed (even within the RPO); otherwise Healthy. Data: lastSnapshotTime, ageSeconds,
/// rpoSeconds, lastVerification, lastVerificationSucceeded, rtoSeconds, lastRestoreSeconds, lastOutcome,
/// lastRunProblems and lastRunProblemCount (each when known). Expected Unhealthy results carry no exception.
/// </summary>
/// <remarks>
/// Before this process has verified the job, VerificationMaxAge runs from when it started tracking the job
/// (<see cref="BackupTrackingStart"/>): the last verification lives in memory, and a restart is no reason to alert.
/// </remarks>
internal sealed class BackupJobHealthCheck(
    string jobName, BackupJobHistory history, IBackupJobStateStore state, IOptions<BackupHostingOptions> options, BackupTrackingStart trackingStart, TimeProvider time) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!options.Value.Jobs.TryGetValue(jobName, out var job))
        {
            return HealthCheckResult.Unhealthy($"Backup job '{jobName}' is not configured.");
        }

        var now = time.GetUtcNow();
        var data = new Dictionary<string, object>();
        DateTimeOffset? lastSuccess;
        try
        {
            lastSuccess = await history.GetLastSuccessAsync(jobName, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // An unreachable target, a wrong key or a wrong location is an expected state to report, not a bug: no stack trace for it.
            var expected = e is Core.Repository.RepositoryException or RepositoryKeyUnavailableException or Core.Storage.TargetConfigurationException
                or IOException or TimeoutException or UnauthorizedAccessException;
            return HealthCheckResult.Unhealthy($"Backup job '{jobName}': cannot read its snapshots: {e.Message}", expected ? null : e);
        }

        var current = state.GetState(jobName);
        if (lastSuccess is { } last)
        {
            data["lastSnapshotTime"] = last.ToUniversalTime().ToString("O", System.Globalization.CultureInfo.InvariantCulture);
            data["ageSeconds"] = Math.Round((now - last).TotalSeconds, 3);
        }

        if (job.Rpo is { } rpo)
        {
            data["rpoSeconds"] = rpo.TotalSeconds;
        }

        if (current.LastVerification is { } verified)
        {
            data["lastVerification"] = verified.ToUniversalTime().ToString("O", System.Globalization.CultureInfo.InvariantCulture);
            data["lastVerificationSucceeded"] = current.LastVerificationSucceeded ?? false;
        }

        if (job.Rto is { } rto)
        {
            data["rtoSeconds"] = rto.TotalSeconds;
        }

        if (current.LastRestoreDuration is { } restore)
        {
            data["lastRestoreSeconds"] = Math.Round(restore.TotalSeconds, 3);
        }

        if (job.EffectiveVerificationMaxAge is { } verificationMaxAge)
        {
            data["verificationMaxAgeSeconds"] = verificationMaxAge.TotalSeconds;
        }

        if (current.LastCopyError is { } lastCopyError)
        {
            data["lastCopyError"] = lastCopyError;
        }

        if (current.LastOutcome is { } lastOutcome)
        {
            data["lastOutcome"] = lastOutcome.ToString();
        }

        if (current.LastRunProblems is { } problems)
        {
            data["lastRunProblems"] = problems;
            data["lastRunProblemCount"] = current.LastRunProblemCount;
        }

        if (job.Rpo is { } objective)
        {
            if (lastSuccess is null)
            {
                return HealthCheckResult.Unhealthy($"Backup job '{jobName}' has no successful snapshot (RPO {DurationText.Format(objective)}).", data: data);
            }

            if (now - lastSuccess.Value > objective)
            {
                return HealthCheckResult.Unhealthy($"Backup job '{jobName}': newest successful snapshot is {DurationText.Format(now - lastSuccess.Value)} old, over its RPO of {DurationText.Format(objective)}.", data: data);
            }
        }
        else if (lastSuccess is null)
        {
            // Without an RPO there is no age to hold it to, but nothing of its data is stored: not "within its objectives".
            return HealthCheckResult.Degraded($"Backup job '{jobName}' has no successful snapshot yet; set its Rpo to have that reported as Unhealthy.", data: data);
        }

        if (current.LastOutcome is BackupJobOutcome.Partial or BackupJobOutcome.Failed)
        {
            // Within the RPO thanks to an older snapshot, but the newest run did not back everything up.
            var reasons = current.LastRunProblems is { Count: > 0 } list ? string.Join("; ", list.Take(3)) : "no reason recorded";
            return HealthCheckResult.Degraded(current.LastOutcome == BackupJobOutcome.Partial
                ? $"Backup job '{jobName}': the last run wrote a partial snapshot, {current.LastRunProblemCount} {(current.LastRunProblemCount == 1 ? "entry" : "entries")} could not be read ({reasons})."
                : $"Backup job '{jobName}': the last run failed: {reasons}", data: data);
        }

        if (current.LastVerificationSucceeded == false)
        {
            return HealthCheckResult.Degraded($"Backup job '{jobName}': the last verification failed: {current.LastVerificationMessage}", data: data);
        }

        if (job.Rto is { } limit && current.LastRestoreDuration is { } took && took > limit)
        {
            return HealthCheckResult.Degraded($"Backup job '{jobName}': the last restore drill took {DurationText.Format(took)}, over its RTO of {DurationText.Format(limit)}.", data: data);
        }

        if (job.EffectiveVerificationMaxAge is { } maxAge && now - (current.LastVerification ?? trackingStart.Time) > maxAge)
        {
            var known = current.LastVerification is null ? " (none since this process started)" : string.Empty;
            return HealthCheckResult.Degraded($"Backup job '{jobName}': no successful verification within {DurationText.Format(maxAge)}{known}.", data: data);
        }

        if (current.LastCopyError is { } copyError)
        {
            return HealthCheckResult.Degraded($"Backup job '{jobName}': the last copy to a secondary repository failed: {copyError}", data: data);
        }

        return HealthCheckResult.Healthy($"Backup job '{jobName}' is within its objectives.", data);
    }
}

/// <summary>Adds one health check per configured job when the health check options are built (jobs may come from configuration).</summary>
internal sealed class BackupHealthCheckRegistrations(IOptions<BackupHostingOptions> options, IEnumerable<string>? tags, HealthStatus? failureStatus) : IConfigureOptions<HealthCheckServiceOptions>
{
    /// <summary>
    /// How long a probe waits for a job's first look at its repository (over a slow or unreachable object store it can
    /// take much longer) before it reports the check timed out; the look goes on, and a later probe gets its answer.
    /// </summary>
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(5);

    public void Configure(HealthCheckServiceOptions healthOptions)
    {
        foreach (var jobName in options.Value.Jobs.Keys)
        {
            healthOptions.Registrations.Add(new HealthCheckRegistration(
                $"backup:{jobName}",
                sp => ActivatorUtilities.CreateInstance<BackupJobHealthCheck>(sp, jobName),
                failureStatus,
                tags ?? ["backup"],
                ProbeTimeout));
        }
    }
}
