using Backup.Core;
using Backup.Core.Repository;
using Backup.Core.Snapshots;
using Backup.Core.Sources;
using Microsoft.Extensions.Logging;

namespace Backup.Providers.Sqlite;

/// <summary>SQLite as a database engine: <see cref="SqliteSource"/>, <see cref="SqliteRestorer"/> and <see cref="SqliteVerifier"/> behind one descriptor; a database is a file.</summary>
public sealed class SqliteEngine : IDatabaseEngine
{
    /// <inheritdoc />
    public string Kind => SqliteSource.KindName;

    /// <inheritdoc />
    public string Name => "sqlite";

    /// <inheritdoc />
    public string DisplayName => "SQLite";

    /// <inheritdoc />
    public DatabaseLocation Location => DatabaseLocation.File;

    /// <inheritdoc />
    public IReadOnlyList<string> PasswordEnvironmentVariables => [];

    /// <inheritdoc />
    public int? DefaultPort => null;

    /// <inheritdoc />
    public bool SupportsAllDatabases => false;

    /// <inheritdoc />
    public bool SupportsDriverOnly => false;

    /// <inheritdoc />
    public bool SupportsTableSelection => false;

    /// <inheritdoc />
    public bool SupportsParallelRestore => false;

    /// <inheritdoc />
    public bool HasPassword(string connectionString) => false;

    /// <inheritdoc />
    public IBackupSource CreateSource(DatabaseBackupSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.AllDatabases || settings.DriverOnly)
        {
            throw new ArgumentException("A SQLite database is one file: AllDatabases and DriverOnly do not apply.", nameof(settings));
        }

        return new SqliteSource(
            new SqliteSourceOptions { DatabasePath = Path.GetFullPath(settings.Location), RecordChecksums = settings.RecordChecksums },
            settings.LoggerFactory?.CreateLogger<SqliteSource>());
    }

    /// <inheritdoc />
    public IReadOnlyList<string> DatabasesOf(Snapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        return snapshot.SourceKind == SqliteSource.KindName
            ? ["main"]
            : throw new ArgumentException($"Snapshot {snapshot.Id} is a '{snapshot.SourceKind}' backup, not a SQLite one.", nameof(snapshot));
    }

    /// <inheritdoc />
    public Task<DatabaseRestoreResult> RestoreAsync(BackupRepository repository, Snapshot snapshot, DatabaseRestoreSettings settings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.TargetDatabase is not null || settings.SourceDatabase is not null || settings.Tables.Count > 0 || settings.Jobs != 1)
        {
            throw new ArgumentException("A SQLite snapshot restores to one file: TargetDatabase, SourceDatabase, Tables and Jobs do not apply.", nameof(settings));
        }

        var options = new SqliteRestoreOptions { TargetPath = Path.GetFullPath(settings.Location), Clean = settings.Clean, Verify = settings.Verify };
        options.Validate();
        if (settings.Verify)
        {
            // From the call, as every setting that cannot work: a snapshot that cannot be verified is refused before anything is restored.
            RestoreVerification.RequireChecksums(snapshot, Kind, SqliteRestorer.Database);
        }

        return new SqliteRestorer(repository).RestoreAsync(snapshot, options, cancellationToken);
    }

    /// <inheritdoc />
    public Task<VerificationReport> VerifyAsync(BackupRepository repository, Snapshot snapshot, DatabaseVerifySettings settings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var directory = settings.Scratch is null ? null : Path.GetFullPath(settings.Scratch);
        return new SqliteVerifier(repository).VerifyAsync(snapshot, directory, null, cancellationToken);
    }
}
