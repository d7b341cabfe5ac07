using Backup.Core.Sources;
using Backup.Core.Sources.FileSystem;

namespace Backup.Extensions.DependencyInjection;

/// <summary>
/// Turns a job's <see cref="BackupJobOptions.Paths"/> into a source. <see cref="FileSystemPathSourceFactory"/> is
/// registered by default; replace it with <see cref="BackupBuilder.UsePathSourceFactory{TFactory}"/> (e.g. for a
/// mocked file system). A job with paths and no factory fails validation at start-up.
/// </summary>
public interface IBackupPathSourceFactory
{
    /// <summary>Creates the source for one run of <paramref name="jobName"/>, from <paramref name="job"/>'s paths and excludes.</summary>
    IBackupSource Create(string jobName, BackupJobOptions job);
}

/// <summary>Backs up job paths from the local file system with <see cref="FileSystemSource"/> and the job's excludes.</summary>
public sealed class FileSystemPathSourceFactory : IBackupPathSourceFactory
{
    /// <inheritdoc/>
    public IBackupSource Create(string jobName, BackupJobOptions job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return new FileSystemSource(job.Paths, new FileSystemSourceOptions { Excludes = [.. job.Excludes], OneFileSystem = job.OneFileSystem });
    }
}
