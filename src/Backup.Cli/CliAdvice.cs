using Backup.Core.Pipeline;
using Backup.Core.Repository;
using Backup.Core.Restore;
using Backup.Core.Storage;
using Backup.Extensions.DependencyInjection;
using Backup.Providers;

namespace Backup.Cli;

/// <summary>
/// What the operator can do next, in terms of this tool's commands: the library's exceptions say what is wrong (and
/// carry it as typed data); only the tool knows which command fixes it.
/// </summary>
internal static class CliAdvice
{
    /// <summary>
    /// The exception's message and <see cref="For"/>'s advice; a remedy the library carries as data (a restore's Clean)
    /// is said in this tool's option instead of the library's name for it.
    /// </summary>
    /// <param name="exception">What failed.</param>
    /// <param name="verb">The command that failed ("prune", "restore", …).</param>
    public static string Describe(Exception exception, string verb) => exception switch
    {
        DatabaseRestoreException { Remedy: DatabaseRestoreRemedy.RestoreAgainWithClean } restore => $"{WithoutStop(restore.Problem)}; restore it again with --clean.",
        DatabaseRestoreException { Remedy: DatabaseRestoreRemedy.CleanOrAnotherTarget } restore => $"{WithoutStop(restore.Problem)}; restore over it with --clean, or into another database with --database NAME.",
        DatabaseRestoreException { Remedy: DatabaseRestoreRemedy.AnotherTarget } restore => $"{WithoutStop(restore.Problem)}; restore into another database with --database NAME, or drop it first.",
        // A plan's sources say DriverOnly in the plan, not on a command line: they keep the library's wording.
        BackupSourceException { Remedy: BackupSourceRemedy.UseClientTools } source when verb == "create" =>
            $"{WithoutStop(source.Problem)}; leave out --driver-only to back it up with the server's dump tool, which covers it.",
        // The library's remedy names its settings, which this tool sets with an option (see For); a plan's repositories
        // do take the library's settings, so dr verbs keep its wording.
        RetentionLockRequiredException required when !verb.StartsWith("dr ", StringComparison.Ordinal) => required.Problem,
        RestoreEntryExistsException exists =>
            $"{exists.Problem}; the restore stopped (entries restored before it stay). Restore into an empty directory, or replace what exists (--overwrite), " +
            "replace only what differs from the snapshot (--overwrite-changed, which resumes a restore that was stopped) or leave it alone (--skip-existing).",
        _ => exception.Message,
    } + For(exception, verb);

    /// <summary>
    /// Why an entry was not (completely) restored, in this tool's options where the library's reason names its own
    /// (<see cref="RestoreProblem.Remedy"/>).
    /// </summary>
    public static string Describe(RestoreProblem problem) => problem.Remedy switch
    {
        RestoreProblemRemedy.OverwriteChanged =>
            "left as it was (--skip-existing), but it differs from the snapshot (size, modification time, owner or permissions), as a file a stopped " +
            "restore was writing does; replace what differs with --overwrite-changed",
        RestoreProblemRemedy.DeviceNodes => "skipped: device nodes are restored only into their original place (target '/') unless asked for with --devices (as root)",
        _ => problem.Reason,
    };

    /// <summary>A sentence to add after the exception's message, or an empty string.</summary>
    /// <param name="exception">What failed.</param>
    /// <param name="verb">The command that failed ("prune", "restore", …).</param>
    public static string For(Exception exception, string verb) => exception switch
    {
        StorageFullException when verb is "prune" or "forget" =>
            " Prune and forget need room for a lock and a new index, and prune for the packs it rewrites before it deletes the old ones (those it " +
            "wrote are removed when it fails): free space there and run it again, or, with little room, prune with --repack-threshold 1, which " +
            "deletes only wholly unused packs and writes just a new index.",
        // init does not create a bucket or container: the storage's message says to create it, and nothing is to add.
        RepositoryNotFoundException { InnerException: BackupLocationNotFoundException } => string.Empty,
        RepositoryNotFoundException => " 'backup init --repo' with that location creates one.",
        // Which source was used is what an operator gets wrong: a variable exported for another repository outlives its use.
        WrongPasswordException when verb == "copy" =>
            $" The source's password comes from --password-file, else the file {PasswordResolver.FileVariable(PasswordResolver.PasswordVariable)} names, else " +
            $"{PasswordResolver.PasswordVariable}; the destination's from --destination-password-file, else {PasswordResolver.FileVariable(PasswordResolver.DestinationPasswordVariable)}, " +
            $"else {PasswordResolver.DestinationPasswordVariable}; the first one set is used: check that one.",
        // A plan's repositories take their passwords from the plan: BACKUP_PASSWORD may be right and beside the point.
        WrongPasswordException when verb.StartsWith("dr ", StringComparison.Ordinal) =>
            " A plan's repository takes its password from the plan's settings for it (passwordEnvironmentVariable, passwordFile, keyFile or " +
            "passwordConfigurationKey), not from --password-file or BACKUP_PASSWORD unless it names that variable: check the one the plan gives that repository.",
        WrongPasswordException =>
            $" The password comes from --password-file, else the file {PasswordResolver.FileVariable(PasswordResolver.PasswordVariable)} names, else " +
            $"{PasswordResolver.PasswordVariable}, else a prompt; the first one set is used: check that one.",
        // A plan's systems and steps name its jobs: the plan is what to fix, and validation finds every such name at once.
        BackupJobNotFoundException { JobName: { } job } notFound when verb.StartsWith("dr ", StringComparison.Ordinal) =>
            (Nearest.Of(job, notFound.KnownJobs) is { } nearest ? $" Did you mean '{nearest}'?" : string.Empty) +
            " Correct the name in the plan; 'backup dr validate PLAN' reports every name the plan uses that it does not define.",
        // A local or SFTP copy of a locked bucket: --retention-lock is refused for such storage, so no option makes this
        // run write; what does is the original storage, or a new repository filled by copy.
        RetentionLockRequiredException { StorageCanLock: false } required when !verb.StartsWith("dr ", StringComparison.Ordinal) =>
            " Commands that only read (snapshots, ls, restore, check, and copy from it) work on it as it is. To back up, use the repository on the storage it " +
            $"was created on (its s3:// or azure:// location) with --retention-lock {required.Recorded.PeriodText} (or longer){ModeVariable(required.Recorded, "and")}, " +
            "or 'backup init' a new repository at another location and 'backup copy' its snapshots there.",
        // On this tool's command line the option gives the period; --retention-lock does not reach a plan's repositories.
        RetentionLockRequiredException required when !verb.StartsWith("dr ", StringComparison.Ordinal) =>
            $" Pass --retention-lock {required.Recorded.PeriodText} (or longer), or export {RepositoryTargets.RetentionLockVariable}={required.Recorded.PeriodText} in the job's environment" +
            $"{ModeVariable(required.Recorded, "with")}. Commands that only read need no lock.",
        RepositoryAlreadyExistsException => " Use it with the other commands, or give 'backup init' another location.",
        SnapshotNotFoundException => " List them with 'backup snapshots'.",
        SnapshotPinnedException pinned =>
            $" 'backup unpin {string.Join(' ', pinned.SnapshotIds.Select(id => id.ToShortString()))}' unpins and prints the new {(pinned.SnapshotIds.Count == 1 ? "ID" : "IDs")}.",
        RepositoryKeyNotFoundException => " List them with 'backup key list'.",
        // A copy has two repositories and --repo may name neither: the message names the damaged one.
        RepositoryCorruptException { Remedy: RepositoryRemedy.Check } when verb == "copy" => " Run 'backup check --read-data' with --repo set to that repository.",
        RepositoryCorruptException { Remedy: RepositoryRemedy.RepairIndex } when verb == "copy" => " Run 'backup repair index' with --repo set to that repository.",
        // --read-data: damage inside a pack's blobs is found only by reading them, and a check that finds nothing would mislead.
        RepositoryCorruptException when verb == "forget" =>
            " A snapshot that cannot be read cannot be named to forget: 'backup repair snapshots' removes every such snapshot (with --dry-run it lists them).",
        RepositoryCorruptException { Remedy: RepositoryRemedy.Check } => " Run 'backup check --read-data' to see what else it affects.",
        RepositoryCorruptException { Remedy: RepositoryRemedy.RepairIndex } => " Run 'backup repair index'.",
        RepositoryLockNotWritableException => " Run it again with --no-lock.",
        StorageFullException { OverQuota: true } => " Raise the quota or free space there, then run the command again: data already stored is kept, and a backup run again reuses what was uploaded.",
        StorageFullException => " Free space there, then run the command again: data already stored is kept, and a backup run again reuses what was uploaded.",
        StandardOutputWriteException { IsFull: true } => " Free space where standard output goes, or redirect it to a file system with room, then run the command again.",
        RestoreTargetFullException => " Free space there, then restore again with --skip-existing to write only what is missing.",
        RepositoryLockedException { IsOnThisHost: true } => " If that process is gone, run 'backup unlock'.",
        RepositoryLockedException => " Try again later; if that process is gone (its host is down), 'backup unlock --remove-all' removes the lock.",
        TransformNotRegisteredException => " The backup tool cannot load code: open this repository from an application that registers the transform (see docs/extending.md).",
        _ => string.Empty,
    };

    private static string WithoutStop(string text) => text.TrimEnd().TrimEnd('.');

    /// <summary>The variable that gives the recorded lock's mode, as " CONJUNCTION NAME=value"; empty for a lock without a mode.</summary>
    private static string ModeVariable(RetentionLock recorded, string conjunction) => recorded.Mode switch
    {
        null => string.Empty,
        RetentionLock.AzureLockedMode => $" {conjunction} BACKUP_AZURE_RETENTION_LOCKED=true",
        var mode => $" {conjunction} BACKUP_S3_RETENTION_MODE={mode}",
    };
}
