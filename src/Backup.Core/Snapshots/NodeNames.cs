namespace Backup.Core.Snapshots;

/// <summary>Which node names may become file names: a crafted or damaged snapshot must not reach outside the restore target.</summary>
public static class NodeNames
{
    /// <summary>Whether <paramref name="name"/> is one safe path segment: not empty, ".", "..", and without '/' or NUL.</summary>
    public static bool IsSafe(string? name) =>
        !string.IsNullOrEmpty(name) && name is not ("." or "..")
        && name.IndexOfAny(['/', '\0']) < 0;

    /// <summary>Why <paramref name="name"/> is refused, for problem reports.</summary>
    public static string Describe(string? name) => string.IsNullOrEmpty(name)
        ? "refused an empty entry name"
        : $"refused the unsafe entry name '{name.Replace("\0", "\\0", StringComparison.Ordinal)}'";
}
