using Backup.Core.Diagnostics;

namespace Backup.Core.Verification;

/// <summary>What a finished drill records and logs: kept beside the service so the diagnostics layer knows no service's results.</summary>
internal static class DrillTelemetry
{
    public static void DrillCompleted(this BackupOperation operation, DrillResult result)
    {
        var tags = operation.Diagnostics.Tags();
        operation.Diagnostics.Instruments.DrillFiles.Add(result.Files, tags);
        if (result.Problems.Count > 0)
        {
            operation.Diagnostics.Instruments.DrillProblems.Add(result.Problems.Count, tags);
        }

        operation.Activity?.SetTag("backup.snapshot.id", result.SnapshotId.ToString());
        operation.Activity?.SetTag("drill.files", result.Files);
        operation.Activity?.SetTag("drill.problems", result.Problems.Count);
        operation.Ended(result.Problems.Count == 0 ? "succeeded" : "failed");
        Log.DrillFinished(operation.Diagnostics.Logger, result.SnapshotId.ToShortString(), operation.Repository, operation.Elapsed, result.Files, result.Problems.Count);
    }
}
