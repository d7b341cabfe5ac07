using Backup.Core.Diagnostics;

namespace Backup.Core.Verification;

/// <summary>What a finished check records and logs: kept beside the service so the diagnostics layer knows no service's results.</summary>
internal static class CheckTelemetry
{
    public static void CheckCompleted(this BackupOperation operation, CheckResult result)
    {
        var errors = result.Problems.Count(p => p.Severity == ProblemSeverity.Error);
        var warnings = result.Problems.Count - errors;
        var tags = operation.Diagnostics.Tags();
        operation.Diagnostics.Instruments.CheckBytesRead.Add(result.BytesRead, tags);
        if (errors > 0)
        {
            var errorTags = tags;
            errorTags.Add("severity", "error");
            operation.Diagnostics.Instruments.CheckProblems.Add(errors, errorTags);
        }

        if (warnings > 0)
        {
            var warningTags = tags;
            warningTags.Add("severity", "warning");
            operation.Diagnostics.Instruments.CheckProblems.Add(warnings, warningTags);
        }

        operation.Activity?.SetTag("check.errors", errors);
        operation.Activity?.SetTag("check.warnings", warnings);
        operation.Activity?.SetTag("check.bytes.read", result.BytesRead);
        operation.Ended(result.IsSuccess ? "succeeded" : "failed");
        Log.CheckFinished(operation.Diagnostics.Logger, operation.Repository, operation.Elapsed, errors, warnings, result.Snapshots, result.BytesRead);
    }
}
