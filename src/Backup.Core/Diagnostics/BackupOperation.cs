using System.Diagnostics;
using Backup.Core.Maintenance;
using Backup.Core.Pipeline;
using Backup.Core.Repository;
using Backup.Core.Restore;
using Backup.Core.Retention;
using Backup.Core.Sources;
using Backup.Core.Verification;

namespace Backup.Core.Diagnostics;

/// <summary>One running operation: its activity, and what is recorded and logged when it ends.</summary>
internal sealed class BackupOperation : IDisposable
{
    private readonly BackupDiagnostics _diagnostics;
    private readonly string _operation;
    private readonly string _repository;
    private readonly Activity? _activity;
    private readonly long _started = Stopwatch.GetTimestamp();

    public BackupOperation(BackupDiagnostics diagnostics, string operation, string repository, Activity? activity)
    {
        _diagnostics = diagnostics;
        _operation = operation;
        _repository = repository;
        _activity = activity;
        if (activity is not null)
        {
            foreach (var tag in diagnostics.ExtraTags)
            {
                activity.SetTag(tag.Key, tag.Value);
            }

            activity.SetTag("backup.repository", repository);
        }

        Log.OperationStarted(diagnostics.Logger, operation, repository);
    }

    private BackupInstruments Instruments => _diagnostics.Instruments;

    public void BackupCompleted(IBackupSource source, BackupResult result)
    {
        var statistics = result.Snapshot.Statistics;
        var tags = _diagnostics.Tags();
        if (statistics is not null)
        {
            Instruments.BackupBytesRead.Add(statistics.BytesRead, tags);
            Instruments.BackupBytesStored.Add(statistics.BytesStored, tags);
            Instruments.BackupBytesDeduplicated.Add(Math.Max(0, statistics.TotalBytes - statistics.BytesAdded), tags);
            Instruments.BackupFiles.Add(statistics.Files, tags);
        }

        if (result.Problems.Count > 0)
        {
            Instruments.BackupProblems.Add(result.Problems.Count, tags);
        }

        var snapshot = result.Snapshot.Id.ToShortString();
        _activity?.SetTag("backup.snapshot.id", result.Snapshot.Id.ToString());
        _activity?.SetTag("backup.files", statistics?.Files);
        _activity?.SetTag("backup.bytes.read", statistics?.BytesRead);
        _activity?.SetTag("backup.bytes.stored", statistics?.BytesStored);
        _activity?.SetTag("backup.problems", result.Problems.Count);
        var outcome = result.IsComplete ? "succeeded" : "partial";
        Ended(outcome);
        if (result.IsComplete)
        {
            Log.BackupSucceeded(_diagnostics.Logger, source.Kind, _repository, snapshot, Elapsed, statistics?.Files ?? 0, statistics?.BytesRead ?? 0, statistics?.BytesStored ?? 0);
        }
        else
        {
            Log.BackupPartial(_diagnostics.Logger, source.Kind, _repository, snapshot, result.Problems.Count);
        }
    }

    public void RestoreCompleted(BlobId snapshot, string targetDirectory, RestoreResult result)
    {
        var tags = _diagnostics.Tags();
        Instruments.RestoreFiles.Add(result.Files, tags);
        Instruments.RestoreBytesWritten.Add(result.Bytes, tags);
        if (result.Problems.Count > 0)
        {
            Instruments.RestoreProblems.Add(result.Problems.Count, tags);
        }

        _activity?.SetTag("backup.snapshot.id", snapshot.ToString());
        _activity?.SetTag("restore.files", result.Files);
        _activity?.SetTag("restore.bytes.written", result.Bytes);
        _activity?.SetTag("restore.problems", result.Problems.Count);
        Ended(result.IsComplete ? "succeeded" : "partial");
        Log.RestoreFinished(_diagnostics.Logger, snapshot.ToShortString(), _repository, targetDirectory, Elapsed, result.Files, result.Directories, result.Bytes, result.Problems.Count);
    }

    public void CheckCompleted(CheckResult result)
    {
        var errors = result.Problems.Count(p => p.Severity == ProblemSeverity.Error);
        var warnings = result.Problems.Count - errors;
        var tags = _diagnostics.Tags();
        Instruments.CheckBytesRead.Add(result.BytesRead, tags);
        if (errors > 0)
        {
            var errorTags = tags;
            errorTags.Add("severity", "error");
            Instruments.CheckProblems.Add(errors, errorTags);
        }

        if (warnings > 0)
        {
            var warningTags = tags;
            warningTags.Add("severity", "warning");
            Instruments.CheckProblems.Add(warnings, warningTags);
        }

        _activity?.SetTag("check.errors", errors);
        _activity?.SetTag("check.warnings", warnings);
        _activity?.SetTag("check.bytes.read", result.BytesRead);
        Ended(result.IsSuccess ? "succeeded" : "failed");
        Log.CheckFinished(_diagnostics.Logger, _repository, Elapsed, errors, warnings, result.Snapshots, result.BytesRead);
    }

    public void DrillCompleted(DrillResult result)
    {
        var tags = _diagnostics.Tags();
        Instruments.DrillFiles.Add(result.Files, tags);
        if (result.Problems.Count > 0)
        {
            Instruments.DrillProblems.Add(result.Problems.Count, tags);
        }

        _activity?.SetTag("backup.snapshot.id", result.SnapshotId.ToString());
        _activity?.SetTag("drill.files", result.Files);
        _activity?.SetTag("drill.problems", result.Problems.Count);
        Ended(result.Problems.Count == 0 ? "succeeded" : "failed");
        Log.DrillFinished(_diagnostics.Logger, result.SnapshotId.ToShortString(), _repository, Elapsed, result.Files, result.Problems.Count);
    }

    public void PruneCompleted(PruneResult result)
    {
        if (!result.DryRun)
        {
            var tags = _diagnostics.Tags();
            Instruments.PrunePacksDeleted.Add(result.PacksRemoved + result.PacksRewritten, tags);
            Instruments.PruneBytesFreed.Add(Math.Max(0, result.BytesBefore - result.BytesAfter), tags);
        }

        _activity?.SetTag("backup.dry_run", result.DryRun);
        _activity?.SetTag("prune.packs.deleted", result.PacksRemoved + result.PacksRewritten);
        _activity?.SetTag("prune.bytes.freed", Math.Max(0, result.BytesBefore - result.BytesAfter));
        Ended("succeeded");
        Log.PruneFinished(_diagnostics.Logger, _repository, result.DryRun, Elapsed, result.PacksRemoved, result.PacksRewritten, Math.Max(0, result.BytesBefore - result.BytesAfter));
    }

    public void RepairCompleted(RepairResult result)
    {
        _activity?.SetTag("backup.dry_run", result.DryRun);
        Ended("succeeded");
        Log.RepairFinished(_diagnostics.Logger, _operation, _repository, result.DryRun, Elapsed, result.PacksIndexed, result.SnapshotsRewritten, result.SnapshotsRemoved, result.BlobsLost);
    }

    public void ForgetCompleted(RetentionResult result)
    {
        if (!result.DryRun)
        {
            Instruments.ForgetSnapshots.Add(result.Deleted, _diagnostics.Tags());
        }

        _activity?.SetTag("backup.dry_run", result.DryRun);
        _activity?.SetTag("forget.snapshots", result.Deleted);
        Ended("succeeded");
        Log.ForgetFinished(_diagnostics.Logger, _repository, result.DryRun, Elapsed, result.Deleted);
    }

    public void Cancelled()
    {
        Ended("cancelled");
        Log.OperationCancelled(_diagnostics.Logger, _operation, _repository, Elapsed);
    }

    public void Failed(Exception error)
    {
        _activity?.SetStatus(ActivityStatusCode.Error, error.Message);
        _activity?.SetTag("error.type", error.GetType().FullName);
        Ended("failed");
        Log.OperationFailed(_diagnostics.Logger, _operation, _repository, error.GetType().Name, error.Message);
    }

    public void Dispose() => _activity?.Dispose();

    private double Elapsed => Stopwatch.GetElapsedTime(_started).TotalSeconds;

    private void Ended(string outcome)
    {
        _activity?.SetTag("backup.outcome", outcome);
        if (outcome is "failed" or "partial")
        {
            _activity?.SetStatus(ActivityStatusCode.Error);
        }

        var tags = _diagnostics.Tags();
        tags.Add("operation", _operation);
        tags.Add("outcome", outcome);
        Instruments.OperationDuration.Record(Elapsed, tags);
    }
}
