using Backup.Core.Sources;
using Backup.Core.Sources.FileSystem;

namespace Backup.Cli;

/// <summary>Builds the source for <c>backup create PATH...</c>.</summary>
internal static class FileSources
{
    /// <exception cref="CliUsageException">An --exclude pattern cannot be compiled.</exception>
    public static IBackupSource Create(IReadOnlyList<string> paths, IReadOnlyList<string> excludes, bool oneFileSystem)
    {
        var options = new FileSystemSourceOptions { Excludes = excludes, OneFileSystem = oneFileSystem };
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            // A mistyped pattern is the command line's fault, not the repository's: exit 2, as for any usage error.
            throw new CliUsageException(e.Message);
        }

        return new FileSystemSource(paths, options);
    }

    /// <summary>
    /// A warning for each pattern written as an absolute path below a backup root, as restic takes them: patterns are
    /// matched against paths relative to each root (gitignore style), so such a one silently excluded nothing, and the
    /// cache it was meant to skip was backed up.
    /// </summary>
    public static IEnumerable<string> ExcludesThatMatchNothing(IReadOnlyList<string> paths, IReadOnlyList<string> excludes)
    {
        var roots = paths.Select(p => Path.TrimEndingDirectorySeparator(Path.GetFullPath(p))).Where(r => r.Length > 1).ToList();
        foreach (var exclude in excludes)
        {
            var pattern = exclude.StartsWith('!') ? exclude[1..] : exclude;
            if (!pattern.StartsWith('/'))
            {
                continue;
            }

            foreach (var root in roots)
            {
                if (pattern.TrimEnd('/') == root)
                {
                    yield return $"--exclude '{exclude}' is the backup root '{root}' itself; patterns are matched below each root, so it excludes nothing: leave the path out of the backup instead.";
                }
                else if (pattern.StartsWith(root + "/", StringComparison.Ordinal))
                {
                    yield return $"--exclude '{exclude}' is an absolute path below the backup root '{root}', but patterns are matched against paths relative to each root (gitignore style), " +
                        $"so it excludes nothing; write '{(exclude.StartsWith('!') ? "!" : string.Empty)}{pattern[root.Length..]}' to exclude it.";
                }
            }
        }
    }
}
