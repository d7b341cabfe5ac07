using Backup.Core.Diagnostics;

namespace Backup.Core.Maintenance;

/// <summary>What a finished repair records and logs: kept beside the service so the diagnostics layer knows no service's results.</summary>
internal static class RepairTelemetry
{
    public static void RepairCompleted(this BackupOperation operation, RepairResult result)
    {
        operation.Activity?.SetTag("backup.dry_run", result.DryRun);
        operation.Ended("succeeded");
        Log.RepairFinished(operation.Diagnostics.Logger, operation.Name, operation.Repository, result.DryRun, operation.Elapsed, result.PacksIndexed, result.SnapshotsRewritten, result.SnapshotsRemoved, result.BlobsLost);
    }
}
