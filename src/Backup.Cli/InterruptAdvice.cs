namespace Backup.Cli;

/// <summary>
/// What an interrupted command left behind and how to go on: the operator who pressed Ctrl+C at 3 a.m. asks next
/// whether anything is lost and whether running the command again starts over.
/// </summary>
internal static class InterruptAdvice
{
    /// <summary>The line for an interrupted <paramref name="verb"/> ("create", "dr drill", …).</summary>
    public static string For(string verb) => verb switch
    {
        "create" => "interrupted; no snapshot was saved. What was uploaded stays in the repository: the same backup run again does not upload it again.",
        _ => "interrupted",
    };
}
