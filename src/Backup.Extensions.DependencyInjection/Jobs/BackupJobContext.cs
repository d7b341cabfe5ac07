using Backup.Core.Pipeline;
using Backup.Core.Repository;
using Backup.Core;

namespace Backup.Extensions.DependencyInjection;

/// <summary>What a job's retention and verification steps are given after a successful backup.</summary>
/// <param name="JobName">The job.</param>
/// <param name="RepositoryName">The repository's name.</param>
/// <param name="Repository">The open repository (owned by <see cref="IBackupRepositoryProvider"/>; do not dispose).</param>
/// <param name="Result">The backup that was just taken.</param>
/// <param name="Services">The application's services.</param>
/// <param name="TimeProvider">The clock the job runs by.</param>
public sealed record BackupJobContext(string JobName, string RepositoryName, BackupRepository Repository, BackupResult Result, IServiceProvider Services, TimeProvider TimeProvider);
