using Backup.Core.Sources;
using Backup.Core.Sources.FileSystem;

namespace Backup.Cli;

/// <summary>Builds the source for <c>backup create PATH...</c>.</summary>
internal static class FileSources
{
    public static IBackupSource Create(IReadOnlyList<string> paths, IReadOnlyList<string> excludes, bool oneFileSystem) =>
        new FileSystemSource(paths, new FileSystemSourceOptions { Excludes = excludes, OneFileSystem = oneFileSystem });
}
