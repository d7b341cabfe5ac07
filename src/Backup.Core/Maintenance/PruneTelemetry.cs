using Backup.Core.Diagnostics;

namespace Backup.Core.Maintenance;

/// <summary>What a finished prune records and logs: kept beside the service so the diagnostics layer knows no service's results.</summary>
internal static class PruneTelemetry
{
    public static void PruneCompleted(this BackupOperation operation, PruneResult result)
    {
        if (!result.DryRun)
        {
            var tags = operation.Diagnostics.Tags();
            operation.Diagnostics.Instruments.PrunePacksDeleted.Add(result.PacksRemoved + result.PacksRewritten, tags);
            operation.Diagnostics.Instruments.PruneBytesFreed.Add(Math.Max(0, result.BytesBefore - result.BytesAfter), tags);
        }

        operation.Activity?.SetTag("backup.dry_run", result.DryRun);
        operation.Activity?.SetTag("prune.packs.deleted", result.PacksRemoved + result.PacksRewritten);
        operation.Activity?.SetTag("prune.bytes.freed", Math.Max(0, result.BytesBefore - result.BytesAfter));
        operation.Ended("succeeded");
        Log.PruneFinished(operation.Diagnostics.Logger, operation.Repository, result.DryRun, operation.Elapsed, result.PacksRemoved, result.PacksRewritten, Math.Max(0, result.BytesBefore - result.BytesAfter));
    }
}
