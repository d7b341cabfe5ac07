namespace Backup.Providers;

/// <summary>Finds client tools in given directories, then on PATH.</summary>
internal static class ToolLocator
{
    /// <summary>The first existing <paramref name="names"/> in <paramref name="directories"/>, then on PATH; null when none.</summary>
    public static string? Find(IEnumerable<string> names, IEnumerable<string?> directories)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        var all = directories.Where(d => !string.IsNullOrEmpty(d)).Cast<string>()
            .Concat(path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        foreach (var directory in all)
        {
            foreach (var name in names)
            {
                var candidate = Path.Combine(directory, name);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }
}
