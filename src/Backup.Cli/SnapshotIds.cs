using System.CommandLine.Parsing;

namespace Backup.Cli;

/// <summary>
/// What a snapshot argument may be, checked as the command line is parsed: 'latest' or at least 4 hexadecimal digits of
/// an ID. A malformed one (<c>c4</c>, a path given in its place) is a usage error (exit 2) before a password is asked for.
/// </summary>
internal static class SnapshotIds
{
    /// <summary>A validator for a snapshot argument (<c>argument.Validators.Add(SnapshotIds.Validate)</c>).</summary>
    public static void Validate(ArgumentResult result)
    {
        foreach (var token in result.Tokens)
        {
            // A word that reads as an option gets its own message, which replaces this one (UsageErrors).
            if (!IsWellFormed(token.Value))
            {
                result.AddError($"'{token.Value}' is not a snapshot ID: give 'latest' or at least 4 hexadecimal digits of an ID.");
            }
        }
    }

    /// <summary>
    /// A validator for a snapshot argument that must name its snapshot by ID (<c>forget ID</c>): 'latest' is refused, since
    /// what it names changes with every backup, and a delete should take the snapshot that was looked at, not a newer one.
    /// </summary>
    public static void ValidateWithoutLatest(ArgumentResult result)
    {
        foreach (var token in result.Tokens)
        {
            if (token.Value.Equals("latest", StringComparison.OrdinalIgnoreCase))
            {
                result.AddError("'latest' is not accepted here: give the snapshot's ID (at least 4 hexadecimal digits; 'backup snapshots' lists them), so that a backup made meanwhile is never the one removed.");
            }
            else if (!IsWellFormed(token.Value))
            {
                result.AddError($"'{token.Value}' is not a snapshot ID: give at least 4 hexadecimal digits of an ID.");
            }
        }
    }

    private static bool IsWellFormed(string value) =>
        value.Equals("latest", StringComparison.OrdinalIgnoreCase) || (value.Length >= 4 && value.All(char.IsAsciiHexDigit));
}
