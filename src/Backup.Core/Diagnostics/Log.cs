using Microsoft.Extensions.Logging;

namespace Backup.Core.Diagnostics;

/// <summary>Source-generated log messages of the services (category "Backup.Core"). Exception messages of the library never contain secrets.</summary>
internal static partial class Log
{
    [LoggerMessage(100, LogLevel.Debug, "{Operation} of repository {Repository} started")]
    public static partial void OperationStarted(ILogger logger, string operation, string repository);

    [LoggerMessage(101, LogLevel.Error, "{Operation} of repository {Repository} failed: {ErrorType}: {Error}")]
    public static partial void OperationFailed(ILogger logger, string operation, string repository, string errorType, string error);

    [LoggerMessage(102, LogLevel.Warning, "{Operation} of repository {Repository} was cancelled after {DurationSeconds:F2} s")]
    public static partial void OperationCancelled(ILogger logger, string operation, string repository, double durationSeconds);

    [LoggerMessage(110, LogLevel.Information, "Backup of {Source} into repository {Repository} wrote snapshot {Snapshot} in {DurationSeconds:F2} s: {Files} files, {BytesRead} bytes read, {BytesStored} bytes stored")]
    public static partial void BackupSucceeded(ILogger logger, string source, string repository, string snapshot, double durationSeconds, long files, long bytesRead, long bytesStored);

    [LoggerMessage(111, LogLevel.Warning, "Backup of {Source} into repository {Repository} wrote a partial snapshot {Snapshot}: {Problems} entries could not be read")]
    public static partial void BackupPartial(ILogger logger, string source, string repository, string snapshot, int problems);

    [LoggerMessage(120, LogLevel.Information, "Restore of snapshot {Snapshot} from repository {Repository} into {Target} finished in {DurationSeconds:F2} s: {Files} files, {Directories} directories, {Bytes} bytes written, {Problems} problems")]
    public static partial void RestoreFinished(ILogger logger, string snapshot, string repository, string target, double durationSeconds, long files, long directories, long bytes, int problems);

    [LoggerMessage(130, LogLevel.Information, "Check of repository {Repository} finished in {DurationSeconds:F2} s: {Errors} errors, {Warnings} warnings, {Snapshots} snapshots, {BytesRead} bytes of data read")]
    public static partial void CheckFinished(ILogger logger, string repository, double durationSeconds, int errors, int warnings, long snapshots, long bytesRead);

    [LoggerMessage(131, LogLevel.Information, "Restore drill of snapshot {Snapshot} from repository {Repository} finished in {DurationSeconds:F2} s: {Files} files, {Problems} not restored exactly")]
    public static partial void DrillFinished(ILogger logger, string snapshot, string repository, double durationSeconds, long files, int problems);

    [LoggerMessage(140, LogLevel.Information, "Prune of repository {Repository} (dry run: {DryRun}) finished in {DurationSeconds:F2} s: {PacksRemoved} packs removed, {PacksRewritten} rewritten, {BytesFreed} bytes freed")]
    public static partial void PruneFinished(ILogger logger, string repository, bool dryRun, double durationSeconds, int packsRemoved, int packsRewritten, long bytesFreed);

    [LoggerMessage(141, LogLevel.Information, "{Operation} of repository {Repository} (dry run: {DryRun}) finished in {DurationSeconds:F2} s: {PacksIndexed} packs indexed, {SnapshotsRewritten} snapshots rewritten, {SnapshotsRemoved} removed, {BlobsLost} blobs lost")]
    public static partial void RepairFinished(ILogger logger, string operation, string repository, bool dryRun, double durationSeconds, int packsIndexed, int snapshotsRewritten, int snapshotsRemoved, long blobsLost);

    [LoggerMessage(142, LogLevel.Information, "Forget in repository {Repository} (dry run: {DryRun}) finished in {DurationSeconds:F2} s: {Forgotten} snapshots forgotten")]
    public static partial void ForgetFinished(ILogger logger, string repository, bool dryRun, double durationSeconds, int forgotten);
}
