using Backup.Core;
using Backup.Core.Repository;
using Backup.Core.Snapshots;
using Backup.Core.Sources;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Backup.Providers.PostgreSql;

/// <summary>PostgreSQL as a database engine: <see cref="PostgreSqlSource"/>, <see cref="PostgreSqlRestorer"/> and <see cref="PostgreSqlVerifier"/> behind one descriptor.</summary>
public sealed class PostgreSqlEngine : IDatabaseEngine
{
    /// <inheritdoc />
    public string Kind => PostgreSqlSource.KindName;

    /// <inheritdoc />
    public string Name => "postgres";

    /// <inheritdoc />
    public string DisplayName => "PostgreSQL";

    /// <inheritdoc />
    public DatabaseLocation Location => DatabaseLocation.ConnectionString;

    /// <inheritdoc />
    public IReadOnlyList<string> PasswordEnvironmentVariables { get; } = ["PGPASSWORD"];

    /// <inheritdoc />
    public int? DefaultPort => 5432;

    /// <inheritdoc />
    public bool SupportsAllDatabases => true;

    /// <inheritdoc />
    public bool SupportsDriverOnly => true;

    /// <inheritdoc />
    public bool SupportsTableSelection => true;

    /// <inheritdoc />
    public bool SupportsParallelRestore => true;

    /// <inheritdoc />
    public bool HasPassword(string connectionString) => !string.IsNullOrEmpty(new NpgsqlConnectionStringBuilder(connectionString).Password);

    /// <inheritdoc />
    public IBackupSource CreateSource(DatabaseBackupSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var options = new PostgreSqlSourceOptions
        {
            ConnectionString = settings.Location,
            Password = settings.Password,
            AllDatabases = settings.AllDatabases,
            Method = settings.DriverOnly ? PostgreSqlBackupMethod.DriverOnly : PostgreSqlBackupMethod.Parallel,
            ClientToolsDirectory = settings.ClientToolsDirectory,
            RecordChecksums = settings.RecordChecksums,
        };
        options.Validate();
        return new PostgreSqlSource(options, settings.LoggerFactory?.CreateLogger<PostgreSqlSource>());
    }

    /// <inheritdoc />
    public IReadOnlyList<string> DatabasesOf(Snapshot snapshot) => PostgreSqlRestorer.DatabasesOf(snapshot);

    /// <inheritdoc />
    public Task<DatabaseRestoreResult> RestoreAsync(BackupRepository repository, Snapshot snapshot, DatabaseRestoreSettings settings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var options = new PostgreSqlRestoreOptions
        {
            ConnectionString = settings.Location,
            Password = settings.Password,
            TargetDatabase = settings.TargetDatabase,
            SourceDatabase = settings.SourceDatabase,
            Clean = settings.Clean,
            Tables = settings.Tables,
            Jobs = settings.Jobs,
            UseScratchRole = settings.ScratchUser,
            Verify = settings.Verify,
        };
        options.Validate();
        if (settings.Verify)
        {
            // From the call, as every setting that cannot work: a snapshot that cannot be verified is refused before anything is restored.
            RestoreVerification.RequireChecksums(snapshot, Kind, SnapshotDatabases.Pick(snapshot, DatabasesOf(snapshot), settings.SourceDatabase, nameof(settings)));
        }

        return new PostgreSqlRestorer(repository).RestoreAsync(snapshot, options, cancellationToken);
    }

    /// <inheritdoc />
    public Task<VerificationReport> VerifyAsync(BackupRepository repository, Snapshot snapshot, DatabaseVerifySettings settings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var options = new PostgreSqlVerifyOptions
        {
            ConnectionString = string.IsNullOrWhiteSpace(settings.Scratch) ? throw new ArgumentException("A PostgreSQL snapshot is verified on a server: Scratch must be its connection string.", nameof(settings)) : settings.Scratch,
            Password = settings.Password,
            ClientToolsDirectory = settings.ClientToolsDirectory,
            UseScratchRole = settings.ScratchUser,
        };
        options.Validate();
        return new PostgreSqlVerifier(repository).VerifyAsync(snapshot, options, cancellationToken);
    }

    /// <inheritdoc />
    public Task<VerificationReport> CompareAsync(Snapshot snapshot, DatabaseRestoreSettings restored, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(restored);
        var (options, target) = ServerOf(restored);
        var source = restored.SourceDatabase ?? (DatabasesOf(snapshot) is [var first, ..] ? first : target);
        return PostgreSqlVerifier.CompareAsync(snapshot, source, target, options, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>
    /// The roles were recorded at backup time from the database's catalog (<c>pg_shdepend</c>): those its privileges,
    /// default privileges and policies name. Owners are not needed: this engine restores without ownership.
    /// </remarks>
    public Task<DatabaseRoleCheck> CheckRolesAsync(Snapshot snapshot, DatabaseRestoreSettings target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(target);
        var database = SnapshotDatabases.Pick(snapshot, DatabasesOf(snapshot), target.SourceDatabase, nameof(target));
        var options = new PostgreSqlVerifyOptions { ConnectionString = target.Location, Password = target.Password };
        options.Validate();
        return PgRoleCheck.CheckAsync(snapshot, database, options, cancellationToken);
    }

    /// <inheritdoc />
    public Task DropAsync(DatabaseRestoreSettings target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        var (options, database) = ServerOf(target);
        return PostgreSqlVerifier.DropAsync(database, options, cancellationToken);
    }

    private static (PostgreSqlVerifyOptions Options, string Database) ServerOf(DatabaseRestoreSettings settings)
    {
        var options = new PostgreSqlVerifyOptions { ConnectionString = settings.Location, Password = settings.Password };
        options.Validate();
        var database = settings.TargetDatabase ?? new NpgsqlConnectionStringBuilder(settings.Location).Database
            ?? throw new ArgumentException("The database is named by neither TargetDatabase nor the connection string.", nameof(settings));
        return (options, database);
    }
}
