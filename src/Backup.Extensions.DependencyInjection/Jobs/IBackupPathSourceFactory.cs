using Backup.Core.Sources;

namespace Backup.Extensions.DependencyInjection;

/// <summary>
/// Turns a job's <see cref="BackupJobOptions.Paths"/> into a source. Registered by the file-system source's
/// package (or by the application); a job with paths but no factory fails validation at start-up.
/// </summary>
public interface IBackupPathSourceFactory
{
    /// <summary>Creates the source for one run of <paramref name="jobName"/>.</summary>
    IBackupSource Create(string jobName, IReadOnlyList<string> paths);
}
