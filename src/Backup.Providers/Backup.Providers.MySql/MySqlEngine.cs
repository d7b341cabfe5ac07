using Backup.Core;
using Backup.Core.Repository;
using Backup.Core.Snapshots;
using Backup.Core.Sources;
using Microsoft.Extensions.Logging;
using MySqlConnector;

namespace Backup.Providers.MySql;

/// <summary>MariaDB and MySQL as a database engine: <see cref="MySqlSource"/>, <see cref="MySqlRestorer"/> and <see cref="MySqlVerifier"/> behind one descriptor.</summary>
public sealed class MySqlEngine : IDatabaseEngine
{
    /// <inheritdoc />
    public string Kind => MySqlSource.KindName;

    /// <inheritdoc />
    public string Name => "mysql";

    /// <inheritdoc />
    public string DisplayName => "MariaDB/MySQL";

    /// <inheritdoc />
    public DatabaseLocation Location => DatabaseLocation.ConnectionString;

    /// <inheritdoc />
    public IReadOnlyList<string> PasswordEnvironmentVariables { get; } = ["MYSQL_PWD"];

    /// <inheritdoc />
    public int? DefaultPort => 3306;

    /// <inheritdoc />
    public bool SupportsAllDatabases => true;

    /// <inheritdoc />
    public bool SupportsDriverOnly => true;

    /// <inheritdoc />
    public bool SupportsTableSelection => false;

    /// <inheritdoc />
    public bool SupportsParallelRestore => true;

    /// <inheritdoc />
    public bool HasPassword(string connectionString) => !string.IsNullOrEmpty(new MySqlConnectionStringBuilder(connectionString).Password);

    /// <inheritdoc />
    public IBackupSource CreateSource(DatabaseBackupSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var options = new MySqlSourceOptions
        {
            ConnectionString = settings.Location,
            Password = settings.Password,
            AllDatabases = settings.AllDatabases,
            Method = settings.DriverOnly ? MySqlBackupMethod.Parallel : MySqlBackupMethod.Dump,
            ClientToolsDirectory = settings.ClientToolsDirectory,
            RecordChecksums = settings.RecordChecksums,
        };
        options.Validate();
        return new MySqlSource(options, settings.LoggerFactory?.CreateLogger<MySqlSource>());
    }

    /// <inheritdoc />
    public IReadOnlyList<string> DatabasesOf(Snapshot snapshot) => MySqlRestorer.DatabasesOf(snapshot);

    /// <inheritdoc />
    public Task<DatabaseRestoreResult> RestoreAsync(BackupRepository repository, Snapshot snapshot, DatabaseRestoreSettings settings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Tables.Count > 0)
        {
            throw new ArgumentException("MariaDB/MySQL restores whole databases: Tables does not apply.", nameof(settings));
        }

        var options = new MySqlRestoreOptions
        {
            ConnectionString = settings.Location,
            Password = settings.Password,
            TargetDatabase = settings.TargetDatabase,
            SourceDatabase = settings.SourceDatabase,
            Clean = settings.Clean,
            Jobs = settings.Jobs,
            EventsDisabled = settings.EventsDisabled,
            UseScratchUser = settings.ScratchUser,
            Verify = settings.Verify,
        };
        options.Validate();
        if (settings.Verify)
        {
            // From the call, as every setting that cannot work: a snapshot that cannot be verified is refused before anything is restored.
            RestoreVerification.RequireChecksums(snapshot, Kind, SnapshotDatabases.Pick(snapshot, DatabasesOf(snapshot), settings.SourceDatabase, nameof(settings)));
        }

        return new MySqlRestorer(repository).RestoreAsync(snapshot, options, cancellationToken);
    }

    /// <inheritdoc />
    public Task<VerificationReport> VerifyAsync(BackupRepository repository, Snapshot snapshot, DatabaseVerifySettings settings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var options = new MySqlVerifyOptions
        {
            ConnectionString = string.IsNullOrWhiteSpace(settings.Scratch) ? throw new ArgumentException("A MariaDB/MySQL snapshot is verified on a server: Scratch must be its connection string.", nameof(settings)) : settings.Scratch,
            Password = settings.Password,
            ClientToolsDirectory = settings.ClientToolsDirectory,
            UseScratchUser = settings.ScratchUser,
        };
        options.Validate();
        return new MySqlVerifier(repository).VerifyAsync(snapshot, options, cancellationToken);
    }

    /// <inheritdoc />
    public Task<VerificationReport> CompareAsync(Snapshot snapshot, DatabaseRestoreSettings restored, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(restored);
        var (options, target) = ServerOf(restored);
        var source = restored.SourceDatabase ?? (DatabasesOf(snapshot) is [var first, ..] ? first : target);
        return MySqlVerifier.CompareAsync(snapshot, source, target, options, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>
    /// MariaDB/MySQL keeps accounts and grants in the server's <c>mysql</c> schema, so a snapshot of a database holds
    /// neither: the restore succeeds and the accounts that used the database cannot. The "roles" checked are the
    /// accounts (<c>'user'@'host'</c>) and MariaDB roles recorded at backup time with privileges on the database or its
    /// objects, those granted such roles, and the definers of its views, routines, triggers and events. Reads
    /// <c>mysql.user</c> on the server, which the user signed in as must be allowed to read.
    /// </remarks>
    public Task<DatabaseRoleCheck> CheckRolesAsync(Snapshot snapshot, DatabaseRestoreSettings target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(target);
        var database = SnapshotDatabases.Pick(snapshot, DatabasesOf(snapshot), target.SourceDatabase, nameof(target));
        var options = new MySqlVerifyOptions { ConnectionString = target.Location, Password = target.Password };
        options.Validate();
        return MyAccountCheck.CheckAsync(snapshot, database, options, cancellationToken);
    }

    /// <inheritdoc />
    public Task DropAsync(DatabaseRestoreSettings target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        var (options, database) = ServerOf(target);
        return MySqlVerifier.DropAsync(database, options, cancellationToken);
    }

    private static (MySqlVerifyOptions Options, string Database) ServerOf(DatabaseRestoreSettings settings)
    {
        var options = new MySqlVerifyOptions { ConnectionString = settings.Location, Password = settings.Password };
        options.Validate();
        var database = settings.TargetDatabase is { Length: > 0 } named ? named
            : new MySqlConnectionStringBuilder(settings.Location).Database is { Length: > 0 } inLocation ? inLocation
            : throw new ArgumentException("The database is named by neither TargetDatabase nor the connection string.", nameof(settings));
        return (options, database);
    }
}
