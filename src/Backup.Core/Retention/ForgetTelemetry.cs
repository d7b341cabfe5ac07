using Backup.Core.Diagnostics;

namespace Backup.Core.Retention;

/// <summary>What a finished forget records and logs: kept beside the service so the diagnostics layer knows no service's results.</summary>
internal static class ForgetTelemetry
{
    public static void ForgetCompleted(this BackupOperation operation, RetentionResult result)
    {
        if (!result.DryRun)
        {
            operation.Diagnostics.Instruments.ForgetSnapshots.Add(result.Deleted, operation.Diagnostics.Tags());
        }

        operation.Activity?.SetTag("backup.dry_run", result.DryRun);
        operation.Activity?.SetTag("forget.snapshots", result.Deleted);
        operation.Ended("succeeded");
        Log.ForgetFinished(operation.Diagnostics.Logger, operation.Repository, result.DryRun, operation.Elapsed, result.Deleted);
    }
}
