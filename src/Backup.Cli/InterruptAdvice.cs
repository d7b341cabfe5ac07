using System.CommandLine;
using System.CommandLine.Parsing;

namespace Backup.Cli;

/// <summary>
/// What an interrupted command left behind and how to go on: the operator who pressed Ctrl+C at 3 a.m. asks next
/// whether anything is lost and whether running the command again starts over.
/// </summary>
internal static class InterruptAdvice
{
    /// <summary>The line for an interrupted <paramref name="verb"/> ("create", "dr drill", …) run as <paramref name="command"/> says.</summary>
    public static string For(string verb, CommandResult command) => verb switch
    {
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

    private static bool Given(CommandResult command, string option) =>
        command.Children.OfType<OptionResult>().Any(o => o.Option.Name == option && !o.Implicit);
}
