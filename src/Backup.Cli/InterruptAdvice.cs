using System.CommandLine;
using System.CommandLine.Parsing;
using Backup.Providers;
using Backup.Providers.MySql;

namespace Backup.Cli;

/// <summary>
/// What an interrupted command left behind and how to go on: the operator who pressed Ctrl+C at 3 a.m. asks next
/// whether anything is lost and whether running the command again starts over.
/// </summary>
internal static class InterruptAdvice
{
    /// <summary>
    /// The line for an interrupted <paramref name="verb"/> ("create", "dr drill", …) run as <paramref name="command"/>
    /// says, which <paramref name="interruption"/> stopped.
    /// </summary>
    public static string For(string verb, CommandResult command, OperationCanceledException interruption) => verb switch
    {
        // The restorer settles a target it had begun to change and says how it left it: a database it created is
        // dropped again, one restored over with --clean stays partly restored (PostgreSQL's one-transaction formats: as it was).
        // What --clean did to it first is the engine's: MariaDB/MySQL drop the whole database, PostgreSQL only the objects the dump recreates.
        "restore" when interruption is DatabaseRestoreInterruptedException { Remedy: DatabaseRestoreRemedy.RestoreAgainWithClean } database =>
            $"interrupted; {database.TargetState.TrimEnd().TrimEnd('.')}: " +
            (Engine(command)?.Engine is MySqlEngine
                ? "what it held before was dropped (--clean), and only part of the snapshot is in it. "
                : "what it held of the snapshot's tables and other objects may be replaced (--clean), the rest of what it held stays, and only part of the snapshot is in it. ") +
            "The same restore run again with --clean restores the snapshot over it.",
        // The restorers verify only once the target is complete, and leave it as restored whatever the comparison meets.
        "restore" when interruption is DatabaseRestoreInterruptedException { Remedy: DatabaseRestoreRemedy.VerifyAgain } database =>
            $"interrupted while verifying; {database.TargetState.TrimEnd().TrimEnd('.')}. The same restore run again with --clean --verify restores it again and verifies it.",
        "restore" when interruption is DatabaseRestoreInterruptedException database =>
            $"interrupted. {database.TargetState.TrimEnd()} Run the same restore again to start over.",
        // SqliteRestorer writes a temporary file beside the target and renames it into place only once it passed its check, and removes it otherwise.
        "restore" when Engine(command) is { IsFile: true } file =>
            $"interrupted; '{Value(command, file.RestoreOption)}' is as it was: the restore writes a temporary file beside it, which it " +
            "moves into place only once complete and checked, and that file was removed. Run the same restore again.",
        // Before the restorer creates or clears the target it only reads the snapshot and the server's catalog.
        "restore" when Engine(command) is not null =>
            "interrupted before the restore changed the target database; run the same restore again.",
        "create" => "interrupted; no snapshot was saved. What was uploaded stays in the repository: the same backup run again does not upload it again.",
        // RestoreService removes the file it was writing when cancelled, and applies a directory's mode and time only after its contents.
        "restore" when Given(command, "--target") =>
            "interrupted; the files restored so far are complete, and the one being written was removed, so none is left partial; directories not finished " +
            "may lack their permissions and modification time. The same restore run again with --overwrite-changed (in place of --overwrite or " +
            "--skip-existing) leaves the files already restored alone and restores the rest.",
        // RepositoryCopier saves a snapshot's copy only once its data is stored and read back, and a later run skips the copies it finds.
        "copy" =>
            "interrupted; the snapshots copied so far are complete in the destination, and the one being copied was not saved. The same copy run " +
            "again skips those and copies the rest, without uploading again what this run uploaded.",
        _ => "interrupted",
    };

    /// <summary>The engine whose restore option (--to-postgres, …) is given; null for a restore into a directory.</summary>
    private static CliDatabaseEngine? Engine(CommandResult command) => DatabaseEngines.All.FirstOrDefault(e => Given(command, e.RestoreOption));

    private static string Value(CommandResult command, string option) =>
        command.Children.OfType<OptionResult>().First(o => o.Option.Name == option).Tokens is [var token, ..] ? token.Value : string.Empty;

    private static bool Given(CommandResult command, string option) =>
        command.Children.OfType<OptionResult>().Any(o => o.Option.Name == option && !o.Implicit);
}
