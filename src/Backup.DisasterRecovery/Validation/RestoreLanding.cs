using Backup.Extensions.DependencyInjection;

namespace Backup.DisasterRecovery;

/// <summary>
/// Where a files restore puts what it restores: below its directory, each entry keeps its path in the snapshot (the
/// absolute path it was backed up from), so <c>/srv/uploads</c> restored into <c>/srv/uploads</c> lands in
/// <c>/srv/uploads/srv/uploads</c>, and into <c>/</c> back where it was.
/// </summary>
internal static class RestoreLanding
{
    /// <summary>The snapshot paths a restore step brings back: its own Paths, or else everything its job backs up.</summary>
    public static IReadOnlyList<string> PathsOf(RestoreStep restore, BackupJobOptions job) =>
        restore.Paths.Count > 0 ? restore.Paths : job.Paths;

    /// <summary>Where <paramref name="backedUp"/> lands when restored into <paramref name="directory"/>.</summary>
    public static string Of(string directory, string backedUp) =>
        directory.TrimEnd('/') + "/" + backedUp.TrimStart('/');

    /// <summary>The first of <paramref name="backedUp"/> that <paramref name="directory"/> is, or lies within (a restore there nests it in itself); null when none.</summary>
    public static (string Path, string Landing)? Nested(string? directory, IEnumerable<string> backedUp)
    {
        if (string.IsNullOrWhiteSpace(directory) || !Path.IsPathRooted(directory))
        {
            return null;
        }

        var into = Path.GetFullPath(directory).TrimEnd('/');
        foreach (var path in backedUp.Where(Path.IsPathRooted))
        {
            var full = Path.GetFullPath(path).TrimEnd('/');
            if (full.Length > 0 && (into == full || into.StartsWith(full + "/", StringComparison.Ordinal)))
            {
                return (full, Of(into, full));
            }
        }

        return null;
    }
}
