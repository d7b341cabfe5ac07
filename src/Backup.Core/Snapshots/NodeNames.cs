namespace Backup.Core.Snapshots;

/// <summary>
/// Which node names may become file names: a crafted or damaged snapshot must not reach outside the restore target,
/// nor name what the platform treats as something else. The restore, the restore drill and the snapshot tools ask here.
/// </summary>
internal static class NodeNames
{
    // Windows: characters that are separators, stream or drive markers, wildcards, or control characters.
    private static readonly System.Buffers.SearchValues<char> WindowsForbidden = System.Buffers.SearchValues.Create(
        "\\/:*?\"<>|\0\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u0009\u000A\u000B\u000C\u000D\u000E\u000F" +
        "\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001A\u001B\u001C\u001D\u001E\u001F");

    /// <summary>Whether <paramref name="name"/> is one safe path segment on this platform (see <see cref="Why(string?, bool)"/>).</summary>
    public static bool IsSafe(string? name) => IsSafe(name, OperatingSystem.IsWindows());

    /// <summary>Why <paramref name="name"/> is refused on this platform, for problem reports.</summary>
    public static string Describe(string? name) => Describe(name, OperatingSystem.IsWindows());

    /// <summary>Whether <paramref name="name"/> is one safe path segment on Windows (<paramref name="windows"/>) or on Unix.</summary>
    internal static bool IsSafe(string? name, bool windows) => Why(name, windows) is null;

    /// <summary>Why <paramref name="name"/> is refused on Windows (<paramref name="windows"/>) or on Unix, for problem reports.</summary>
    internal static string Describe(string? name, bool windows) =>
        Why(name, windows) is { } why ? $"refused the entry name '{Printable(name)}': {why}" : $"the entry name '{Printable(name)}' is safe";

    /// <summary>
    /// Null when <paramref name="name"/> is one path segment that names a plain file: not empty, ".", "..", no '/' or
    /// NUL; on Windows also no '\', ':' (a drive or an alternate data stream), wildcard, quote, '|' or control
    /// character, no trailing dot or space (Windows drops them, so "a." would be "a"), and not a reserved device name
    /// (CON, PRN, AUX, NUL, COM0-9, LPT0-9 and their superscript-digit forms, CONIN$, CONOUT$), with any extension.
    /// Otherwise why not.
    /// </summary>
    internal static string? Why(string? name, bool windows)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "it is empty";
        }

        if (name is "." or "..")
        {
            return "it names a directory itself or its parent";
        }

        if (!windows)
        {
            return name.AsSpan().IndexOfAny('/', '\0') >= 0 ? "it contains '/' or NUL" : null;
        }

        if (name.AsSpan().IndexOfAny(WindowsForbidden) >= 0)
        {
            return "it contains a character Windows does not allow in a name (\\ / : * ? \" < > | or a control character)";
        }

        if (name[^1] is '.' or ' ')
        {
            return "it ends in a dot or space, which Windows drops";
        }

        return IsReservedOnWindows(name) ? "it is a reserved device name on Windows" : null;
    }

    private static bool IsReservedOnWindows(string name)
    {
        // The part before the first dot, trailing spaces dropped, is what Windows compares: "nul .txt" is NUL too.
        var stem = name.AsSpan();
        if (stem.IndexOf('.') is var dot and >= 0)
        {
            stem = stem[..dot];
        }

        stem = stem.TrimEnd(' ');
        if (stem.Equals("CON", StringComparison.OrdinalIgnoreCase) || stem.Equals("PRN", StringComparison.OrdinalIgnoreCase)
            || stem.Equals("AUX", StringComparison.OrdinalIgnoreCase) || stem.Equals("NUL", StringComparison.OrdinalIgnoreCase)
            || stem.Equals("CONIN$", StringComparison.OrdinalIgnoreCase) || stem.Equals("CONOUT$", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        return stem.Length == 4
            && (stem.StartsWith("COM", StringComparison.OrdinalIgnoreCase) || stem.StartsWith("LPT", StringComparison.OrdinalIgnoreCase))
            && (char.IsAsciiDigit(stem[3]) || stem[3] is '\u00B9' or '\u00B2' or '\u00B3');
    }

    private static string Printable(string? name) => (name ?? string.Empty).Replace("\0", "\\0", StringComparison.Ordinal);
}
