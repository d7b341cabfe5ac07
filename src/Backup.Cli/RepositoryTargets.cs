using Backup.Core.Repository;
using Backup.Core.Storage;

namespace Backup.Cli;

/// <summary>
/// Turns a repository location into a storage target. The one place that knows the kinds of location: only local
/// directories for now; other targets (sftp:, s3:, …) are added here.
/// </summary>
internal static class RepositoryTargets
{
    public const string RepositoryVariable = "BACKUP_REPOSITORY";

    /// <summary>The location from --repo or $BACKUP_REPOSITORY.</summary>
    public static string ResolveLocation(CommandContext context)
    {
        var location = context.Repo;
        if (string.IsNullOrWhiteSpace(location))
        {
            location = context.Console.GetEnvironmentVariable(RepositoryVariable);
        }

        return string.IsNullOrWhiteSpace(location)
            ? throw new CliUsageException($"No repository given: pass --repo LOCATION or set {RepositoryVariable}.")
            : location;
    }

    /// <summary>The target at <paramref name="location"/>.</summary>
    /// <param name="location">A local directory path.</param>
    /// <param name="create">Whether the location may be created (init); otherwise a missing location is <see cref="RepositoryNotFoundException"/>.</param>
    public static IBackupTarget Create(string location, bool create)
    {
        var separator = location.IndexOf("://", StringComparison.Ordinal);
        if (separator > 0 && !location.StartsWith("file://", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"Repository location '{location}' uses '{location[..separator]}://', which this version does not support; give a local directory.");
        }

        var path = location.StartsWith("file://", StringComparison.OrdinalIgnoreCase) ? new Uri(location).LocalPath : location;
        var full = Path.GetFullPath(path);
        if (File.Exists(full))
        {
            throw new ArgumentException($"Repository location '{full}' is a file, not a directory.");
        }

        if (!create && !Directory.Exists(full))
        {
            throw new RepositoryNotFoundException($"local directory '{full}'");
        }

        return new LocalDirectoryTarget(full);
    }
}
