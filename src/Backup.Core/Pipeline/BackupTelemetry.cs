using Backup.Core.Diagnostics;
using Backup.Core.Sources;

namespace Backup.Core.Pipeline;

/// <summary>What a finished backup records and logs: kept beside the service so the diagnostics layer knows no service's results.</summary>
internal static class BackupTelemetry
{
    public static void BackupCompleted(this BackupOperation operation, IBackupSource source, BackupResult result)
    {
        var statistics = result.Snapshot.Statistics;
        var tags = operation.Diagnostics.Tags();
        if (statistics is not null)
        {
            operation.Diagnostics.Instruments.BackupBytesRead.Add(statistics.BytesRead, tags);
            operation.Diagnostics.Instruments.BackupBytesStored.Add(statistics.BytesStored, tags);
            operation.Diagnostics.Instruments.BackupBytesDeduplicated.Add(Math.Max(0, statistics.TotalBytes - statistics.BytesAdded), tags);
            operation.Diagnostics.Instruments.BackupFiles.Add(statistics.Files, tags);
        }

        if (result.Problems.Count > 0)
        {
            operation.Diagnostics.Instruments.BackupProblems.Add(result.Problems.Count, tags);
        }

        var snapshot = result.Snapshot.Id.ToShortString();
        operation.Activity?.SetTag("backup.snapshot.id", result.Snapshot.Id.ToString());
        operation.Activity?.SetTag("backup.files", statistics?.Files);
        operation.Activity?.SetTag("backup.bytes.read", statistics?.BytesRead);
        operation.Activity?.SetTag("backup.bytes.stored", statistics?.BytesStored);
        operation.Activity?.SetTag("backup.problems", result.Problems.Count);
        var outcome = result.IsComplete ? "succeeded" : "partial";
        operation.Ended(outcome);
        if (result.IsComplete)
        {
            Log.BackupSucceeded(operation.Diagnostics.Logger, source.Kind, operation.Repository, snapshot, operation.Elapsed, statistics?.Files ?? 0, statistics?.BytesRead ?? 0, statistics?.BytesStored ?? 0);
        }
        else
        {
            Log.BackupPartial(operation.Diagnostics.Logger, source.Kind, operation.Repository, snapshot, result.Problems.Count);
        }
    }
}
