using Backup.Core.Sources;

namespace Backup.Cli;

/// <summary>Builds the source for <c>backup create PATH...</c>.</summary>
internal static class FileSources
{
    public static IBackupSource Create(IReadOnlyList<string> paths, IReadOnlyList<string> excludes, bool oneFileSystem)
    {
        _ = paths;
        _ = excludes;
        _ = oneFileSystem;
        throw new CliUsageException("Backing up paths needs the file-system source, which this build does not have yet; use --stdin.");
    }
}
