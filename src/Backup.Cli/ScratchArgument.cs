namespace Backup.Cli;

/// <summary>
/// What verify's --scratch was given, told apart before it is used: a directory (files and SQLite snapshots) or a
/// server's connection string (PostgreSQL, MariaDB/MySQL). Each given for the other would be taken as it is: a
/// connection string as the name of a directory to create, a directory as a malformed connection string.
/// </summary>
internal static class ScratchArgument
{
    /// <summary>
    /// Whether <paramref name="value"/> begins as a connection string does: a key of letters (and digits, spaces,
    /// underscores) then '=' ("Host=…", "Data Source=…"). A directory of such a name is still given as ./Host=….
    /// </summary>
    public static bool IsConnectionString(string value)
    {
        var start = value.AsSpan().TrimStart(" \t;");
        var end = start.IndexOf('=');
        if (end <= 0 || !char.IsAsciiLetter(start[0]))
        {
            return false;
        }

        foreach (var c in start[..end])
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not (' ' or '_'))
            {
                return false;
            }
        }

        return true;
    }
}
