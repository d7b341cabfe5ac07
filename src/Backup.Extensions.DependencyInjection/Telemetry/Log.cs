using Backup.Core.Snapshots;
using Microsoft.Extensions.Logging;

namespace Backup.Extensions.DependencyInjection;

/// <summary>Source-generated log messages. None takes a secret: key sources are logged by description only.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Opened backup repository {Repository} ({Target}) with the {KeySource}")]
    public static partial void RepositoryOpened(ILogger logger, string repository, string target, string keySource);

    [LoggerMessage(2, LogLevel.Information, "Created backup repository {Repository} in {Target}, unlocked by the {KeySource}")]
    public static partial void RepositoryCreated(ILogger logger, string repository, string target, string keySource);

    [LoggerMessage(3, LogLevel.Information, "Backup repository {Repository} opened at start-up (OpenOnStart)")]
    public static partial void RepositoryOpenedOnStart(ILogger logger, string repository);

    [LoggerMessage(5, LogLevel.Warning, "Backup repository {Repository}: its recorded retention lock could not be checked at start-up ({Error}); each job checks it before writing")]
    public static partial void RetentionLockNotCheckedOnStart(ILogger logger, string repository, string error);

    [LoggerMessage(6, LogLevel.Warning, "Backup repository {Repository}, which {Jobs}, records a retention lock its settings do not give, so every copy into it will be refused: {Problem}")]
    public static partial void CopyDestinationRetentionLockMissing(ILogger logger, string repository, string jobs, string problem);

    [LoggerMessage(10, LogLevel.Information, "Backup job {Job} started: repository {Repository}, level {Level}")]
    public static partial void JobStarted(ILogger logger, string job, string repository, BackupLevel level);

    [LoggerMessage(11, LogLevel.Information, "Backup job {Job} succeeded: snapshot {Snapshot} in {DurationSeconds:F2} s, {Files} files, {BytesStored} bytes stored")]
    public static partial void JobSucceeded(ILogger logger, string job, string snapshot, double durationSeconds, long files, long bytesStored);

    [LoggerMessage(12, LogLevel.Warning, "Backup job {Job} wrote a partial snapshot {Snapshot}: {Problems} entries could not be read")]
    public static partial void JobPartial(ILogger logger, string job, string snapshot, int problems);

    [LoggerMessage(85, LogLevel.Error, "Backup job {Job} found {Packs} pack(s) the index of repository {Repository} names missing from storage: its snapshot {Snapshot} stored their data again, but older snapshots that use them are damaged; run a check and repair the index")]
    public static partial void PacksMissing(ILogger logger, string job, string repository, int packs, string snapshot);

    [LoggerMessage(60, LogLevel.Warning, "Backup job {Job}: could not read {Path}: {Reason}")]
    public static partial void EntryNotRead(ILogger logger, string job, string path, string reason);

    [LoggerMessage(61, LogLevel.Warning, "Backup job {Job}: {More} more entries could not be read (the first {Logged} are logged; the snapshot lists them all)")]
    public static partial void MoreEntriesNotRead(ILogger logger, string job, int more, int logged);

    [LoggerMessage(13, LogLevel.Error, "Backup job {Job} failed: {ErrorType}: {Error}")]
    public static partial void JobFailed(ILogger logger, string job, string errorType, string error);

    [LoggerMessage(14, LogLevel.Warning, "Backup job {Job} was cancelled after {DurationSeconds:F2} s; packs already uploaded are reused by the next run")]
    public static partial void JobCancelled(ILogger logger, string job, double durationSeconds);

    // Cancelled during copies, retention or verification: the snapshot stays and counts; what did not finish runs after the next backup.
    [LoggerMessage(19, LogLevel.Warning, "Backup job {Job} was cancelled after {DurationSeconds:F2} s, after it wrote snapshot {SnapshotId}, which is kept; copies, retention or verification it did not finish run after the next backup")]
    public static partial void JobCancelledAfterSnapshot(ILogger logger, string job, double durationSeconds, string snapshotId);

    [LoggerMessage(15, LogLevel.Warning, "Backup job {Job} is still running; this run is skipped")]
    public static partial void JobSkipped(ILogger logger, string job);

    [LoggerMessage(16, LogLevel.Warning, "Verification of backup job {Job} failed: {Message}")]
    public static partial void VerificationFailed(ILogger logger, string job, string message);

    [LoggerMessage(17, LogLevel.Information, "Verification of backup job {Job} passed: {Message}")]
    public static partial void VerificationSucceeded(ILogger logger, string job, string message);

    [LoggerMessage(18, LogLevel.Debug, "Backup job {Job}: verification not due until {Due:O}")]
    public static partial void VerificationNotDue(ILogger logger, string job, DateTimeOffset due);

    [LoggerMessage(20, LogLevel.Debug, "Backup job {Job}: {Phase} hook {Hook} succeeded in {DurationSeconds:F2} s")]
    public static partial void HookSucceeded(ILogger logger, string job, string phase, string hook, double durationSeconds);

    [LoggerMessage(21, LogLevel.Warning, "Backup job {Job}: {Phase} hook {Hook} failed ({Reason}); continuing as configured")]
    public static partial void HookFailedContinuing(ILogger logger, string job, string phase, string hook, string reason);

    [LoggerMessage(30, LogLevel.Debug, "Backup job {Job}: next run at {Next:O} (jitter {JitterSeconds:F0} s)")]
    public static partial void NextRun(ILogger logger, string job, DateTimeOffset next, double jitterSeconds);

    [LoggerMessage(31, LogLevel.Warning, "Backup job {Job}: the previous run is still in progress at its next occurrence; this occurrence is skipped")]
    public static partial void OccurrenceSkipped(ILogger logger, string job);

    [LoggerMessage(32, LogLevel.Information, "Backup job {Job} missed its run at {Missed:O} (newest successful snapshot: {LastSuccess}); running once now")]
    public static partial void CatchingUp(ILogger logger, string job, DateTimeOffset missed, string lastSuccess);

    [LoggerMessage(87, LogLevel.Warning, "The backup scheduler has no job to run: {Reason}. Give each job to run a Schedule (cron), under Backup:Jobs in the section BindConfiguration binds, or with AddJob in code")]
    public static partial void NothingScheduled(ILogger logger, string reason);

    [LoggerMessage(33, LogLevel.Warning, "Backup job {Job}: schedule {Schedule} has no further occurrences")]
    public static partial void NoMoreOccurrences(ILogger logger, string job, string schedule);

    [LoggerMessage(86, LogLevel.Warning, "Backup job {Job}: schedule {Schedule} leaves up to {Gap} between runs, longer than the job's RPO of {Rpo}, so its health turns Unhealthy between such runs; schedule it more often or raise its Rpo")]
    public static partial void ScheduleLongerThanRpo(ILogger logger, string job, string schedule, string gap, string rpo);

    [LoggerMessage(34, LogLevel.Warning, "Backup job {Job}: cannot read its snapshot history ({Error}); running once to be safe")]
    public static partial void HistoryUnavailable(ILogger logger, string job, string error);

    [LoggerMessage(88, LogLevel.Warning, "Backup job {Job}: cannot read its snapshot history ({Error}); it runs by the clock alone, so an occurrence it ran before a clock set back may run again")]
    public static partial void StoredRunsUnreadable(ILogger logger, string job, string error);

    [LoggerMessage(89, LogLevel.Information, "Backup job {Job}: its newest snapshot, at {Stored:O}, is dated after the clock ({Now:O}), which is behind (set back, or not yet synchronised); the occurrence at {Occurrence:O} ran already and does not run again")]
    public static partial void StoredRunAheadOfClock(ILogger logger, string job, DateTimeOffset stored, DateTimeOffset now, DateTimeOffset occurrence);

    [LoggerMessage(90, LogLevel.Warning, "Backup job {Job}: its newest snapshot is dated {Stored:O}, more than one interval of its schedule after the clock ({Now:O}); taking the clock as right (it was ahead when that snapshot was taken), the job runs at the clock's next occurrence. If the clock is behind instead, correct it")]
    public static partial void StoredRunFarAhead(ILogger logger, string job, DateTimeOffset stored, DateTimeOffset now);

    [LoggerMessage(35, LogLevel.Error, "Backup job {Job}: the scheduled run threw: {Error}")]
    public static partial void SchedulerRunFailed(ILogger logger, string job, string error);

    [LoggerMessage(36, LogLevel.Information, "Backup job {Job}: retention ({Policy}) kept {Kept} and forgot {Forgotten} of the job's snapshots")]
    public static partial void RetentionApplied(ILogger logger, string job, string policy, int kept, int forgotten);

    [LoggerMessage(37, LogLevel.Information, "Backup job {Job}: pruned repository {Repository}: {PacksDeleted} packs deleted, {BytesFreed} bytes freed")]
    public static partial void Pruned(ILogger logger, string job, string repository, int packsDeleted, long bytesFreed);

    [LoggerMessage(38, LogLevel.Warning, "Backup job {Job}: prune of repository {Repository} skipped, the repository is locked ({Reason}); it is tried again after the next backup")]
    public static partial void PruneSkipped(ILogger logger, string job, string repository, string reason);

    [LoggerMessage(77, LogLevel.Warning, "Repository {Repository}: {Message}")]
    public static partial void UnauthenticatedLockIgnored(ILogger logger, string repository, string message);

    [LoggerMessage(78, LogLevel.Information, "Repository {Repository}: {Message}")]
    public static partial void StaleLockIgnored(ILogger logger, string repository, string message);

    [LoggerMessage(91, LogLevel.Warning, "Repository {Repository}: {Message}")]
    public static partial void LockNotRemoved(ILogger logger, string repository, string message);

    [LoggerMessage(4, LogLevel.Warning, "Deprecated configuration: {Message}")]
    public static partial void DeprecatedSetting(ILogger logger, string message);

    [LoggerMessage(7, LogLevel.Warning, "Repository {Repository}: {Message}")]
    public static partial void InsecureTarget(ILogger logger, string repository, string message);

    [LoggerMessage(40, LogLevel.Warning, "Backup job {Job}: notification sink {Sink} failed: {Error}")]
    public static partial void NotificationFailed(ILogger logger, string job, string sink, string error);

    [LoggerMessage(41, LogLevel.Warning, "Backup job {Job}: heartbeat ping failed: {Error}")]
    public static partial void HeartbeatFailed(ILogger logger, string job, string error);

    [LoggerMessage(50, LogLevel.Information, "Backup job {Job}: snapshot {Snapshot} copied to repository {Repository} in {DurationSeconds:F2} s, {BytesStored} bytes stored")]
    public static partial void CopySucceeded(ILogger logger, string job, string snapshot, string repository, double durationSeconds, long bytesStored);

    [LoggerMessage(51, LogLevel.Error, "Backup job {Job}: copy of snapshot {Snapshot} to repository {Repository} failed ({ErrorType}: {Error}); the primary snapshot is unaffected")]
    public static partial void CopyFailed(ILogger logger, string job, string snapshot, string repository, string errorType, string error);
}
