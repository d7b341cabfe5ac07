using Backup.Core.Pipeline;
using Backup.Core.Repository;
using Backup.Core;

namespace Backup.Extensions.DependencyInjection;

/// <summary>What a job's retention and verification steps are given after a successful backup.</summary>
public sealed record BackupJobContext
{
    /// <summary>The job.</summary>
    public required string JobName { get; init; }

    /// <summary>The repository's name.</summary>
    public required string RepositoryName { get; init; }

    /// <summary>The open repository (owned by <see cref="IBackupRepositoryProvider"/>; do not dispose).</summary>
    public required BackupRepository Repository { get; init; }

    /// <summary>The backup that was just taken.</summary>
    public required BackupResult Result { get; init; }

    /// <summary>The application's services.</summary>
    public required IServiceProvider Services { get; init; }

    /// <summary>The clock the job runs by.</summary>
    public required TimeProvider TimeProvider { get; init; }
}
