using Backup.Core.Diagnostics;
using Backup.Core.Repository;

namespace Backup.Core.Restore;

/// <summary>What a finished restore records and logs: kept beside the service so the diagnostics layer knows no service's results.</summary>
internal static class RestoreTelemetry
{
    public static void RestoreCompleted(this BackupOperation operation, BlobId snapshot, string targetDirectory, RestoreResult result)
    {
        var tags = operation.Diagnostics.Tags();
        operation.Diagnostics.Instruments.RestoreFiles.Add(result.Files, tags);
        operation.Diagnostics.Instruments.RestoreBytesWritten.Add(result.Bytes, tags);
        if (result.Problems.Count > 0)
        {
            operation.Diagnostics.Instruments.RestoreProblems.Add(result.Problems.Count, tags);
        }

        operation.Activity?.SetTag("backup.snapshot.id", snapshot.ToString());
        operation.Activity?.SetTag("restore.files", result.Files);
        operation.Activity?.SetTag("restore.bytes.written", result.Bytes);
        operation.Activity?.SetTag("restore.problems", result.Problems.Count);
        operation.Ended(result.IsComplete ? "succeeded" : "partial");
        Log.RestoreFinished(operation.Diagnostics.Logger, snapshot.ToShortString(), operation.Repository, targetDirectory, operation.Elapsed, result.Files, result.Directories, result.Bytes, result.Problems.Count);
    }
}
