using Backup.Core.Pipeline;

namespace Backup.Extensions.DependencyInjection;

/// <summary>
/// A named source that jobs refer to with <see cref="BackupJobOptions.Source"/> (e.g. a database registered by a
/// provider package's <c>AddPostgreSqlSource("orders-db", ...)</c>). It takes the whole backup of one run, so a
/// provider can prepare its source (pin a database snapshot, record checksums) the way it needs to. Register one with
/// <see cref="BackupBuilder.AddSource(string, Func{IServiceProvider, Core.Sources.IBackupSource})"/> or
/// <see cref="BackupBuilder.AddJobSource(Func{IServiceProvider, IBackupJobSource})"/>.
/// </summary>
public interface IBackupJobSource
{
    /// <summary>The name jobs use (case-insensitive).</summary>
    string Name { get; }

    /// <summary>Backs up one run of <paramref name="jobName"/> with <paramref name="service"/> and the job's <paramref name="options"/>.</summary>
    /// <param name="jobName">The job running.</param>
    /// <param name="service">The backup service over the job's repository.</param>
    /// <param name="options">Level, tags and metadata of the run (they mark the snapshot as the job's: keep them).</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    Task<BackupResult> BackupAsync(string jobName, BackupService service, BackupOptions options, CancellationToken cancellationToken);
}
