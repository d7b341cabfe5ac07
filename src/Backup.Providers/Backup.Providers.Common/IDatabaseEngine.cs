using Backup.Core;
using Backup.Core.Repository;
using Backup.Core.Snapshots;
using Backup.Core.Sources;

namespace Backup.Providers;

/// <summary>
/// One database engine as the CLI and hosts see it: how its databases are named, where its passwords come from,
/// what it can do, and its source, restore and scratch verification. Each provider package has one
/// (<c>PostgreSqlEngine</c>, <c>MySqlEngine</c>, <c>SqliteEngine</c>); a tool looks the engine up, by
/// <see cref="Kind"/> for a snapshot, instead of branching on it.
/// </summary>
/// <remarks>
/// Settings are checked before any work starts: invalid ones throw <see cref="ArgumentException"/> (naming the
/// setting, never quoting a connection string) from the call itself, not from the task it returns.
/// </remarks>
public interface IDatabaseEngine
{
    /// <summary>The source kind its snapshots record ("postgresql", "mysql", "sqlite").</summary>
    string Kind { get; }

    /// <summary>A short name for options and settings ("postgres", "mysql", "sqlite").</summary>
    string Name { get; }

    /// <summary>The name people know it by ("PostgreSQL", "MariaDB/MySQL", "SQLite").</summary>
    string DisplayName { get; }

    /// <summary>Whether a database is reached through a server's connection string or is a file.</summary>
    DatabaseLocation Location { get; }

    /// <summary>The engine's own password variables (<c>PGPASSWORD</c>, <c>MYSQL_PWD</c>), for a tool to fall back on; empty for a file.</summary>
    IReadOnlyList<string> PasswordEnvironmentVariables { get; }

    /// <summary>The server's default port, or null for a file.</summary>
    int? DefaultPort { get; }

    /// <summary>Whether one backup can take every database of a server.</summary>
    bool SupportsAllDatabases { get; }

    /// <summary>Whether it can back up through the driver alone, without the engine's dump tools.</summary>
    bool SupportsDriverOnly { get; }

    /// <summary>Whether a restore can take selected tables only.</summary>
    bool SupportsTableSelection { get; }

    /// <summary>Whether a restore can run parallel jobs.</summary>
    bool SupportsParallelRestore { get; }

    /// <summary>Whether <paramref name="connectionString"/> carries a password itself.</summary>
    /// <exception cref="ArgumentException">The connection string is malformed.</exception>
    /// <exception cref="FormatException">The connection string is malformed.</exception>
    bool HasPassword(string connectionString);

    /// <summary>A source that backs up the database <paramref name="settings"/> name.</summary>
    /// <exception cref="ArgumentException">The settings are invalid.</exception>
    IBackupSource CreateSource(DatabaseBackupSettings settings);

    /// <summary>The databases a snapshot of this engine holds.</summary>
    /// <exception cref="ArgumentException">The snapshot is not one of this engine's.</exception>
    IReadOnlyList<string> DatabasesOf(Snapshot snapshot);

    /// <summary>Restores one database of <paramref name="snapshot"/>.</summary>
    /// <exception cref="ArgumentException">The settings are invalid (thrown by the call).</exception>
    /// <exception cref="DatabaseRestoreException">The restore failed.</exception>
    Task<DatabaseRestoreResult> RestoreAsync(BackupRepository repository, Snapshot snapshot, DatabaseRestoreSettings settings, CancellationToken cancellationToken = default);

    /// <summary>Proves <paramref name="snapshot"/> by a test restore into a scratch database (or file), dropped afterwards.</summary>
    /// <exception cref="ArgumentException">The settings are invalid (thrown by the call).</exception>
    Task<VerificationReport> VerifyAsync(BackupRepository repository, Snapshot snapshot, DatabaseVerifySettings settings, CancellationToken cancellationToken = default);

    /// <summary>
    /// Compares a database already restored from <paramref name="snapshot"/> (by <see cref="RestoreAsync"/> with
    /// <paramref name="restored"/>: its <see cref="DatabaseRestoreSettings.TargetDatabase"/> as restored from its
    /// <see cref="DatabaseRestoreSettings.SourceDatabase"/>) with the checksums recorded at backup time and runs the
    /// engine's integrity check, without restoring again: a disaster-recovery drill verifies what its restore step made.
    /// </summary>
    /// <exception cref="NotSupportedException">The engine cannot (the default): verify with <see cref="VerifyAsync"/> instead.</exception>
    Task<VerificationReport> CompareAsync(Snapshot snapshot, DatabaseRestoreSettings restored, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"{DisplayName} cannot compare a restored database in place; verify the snapshot with a test restore instead.");

    /// <summary>
    /// Checks that the server <paramref name="target"/> names (its <see cref="DatabaseRestoreSettings.Location"/>; the
    /// target database need not exist) has the roles a restore of its <see cref="DatabaseRestoreSettings.SourceDatabase"/>
    /// (or the snapshot's only database) from <paramref name="snapshot"/> needs, as recorded at backup time. Reads the
    /// server's list of roles and changes nothing: run it against the server a recovery would restore into, before the
    /// disaster.
    /// </summary>
    /// <exception cref="NotSupportedException">The engine cannot (the default): its snapshots carry what they need, or it does not record it.</exception>
    /// <exception cref="ArgumentException">The snapshot is not one of this engine's, or the settings are invalid.</exception>
    Task<DatabaseRoleCheck> CheckRolesAsync(Snapshot snapshot, DatabaseRestoreSettings target, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"{DisplayName} does not record the roles a restore needs.");

    /// <summary>
    /// Drops the database <paramref name="target"/> names (its <see cref="DatabaseRestoreSettings.TargetDatabase"/>
    /// on the server of its <see cref="DatabaseRestoreSettings.Location"/>) if it exists: a scratch database a drill
    /// restored into. For a file engine the caller deletes the file.
    /// </summary>
    /// <exception cref="NotSupportedException">The engine cannot (the default, and every file engine).</exception>
    Task DropAsync(DatabaseRestoreSettings target, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"{DisplayName} cannot drop a database; remove it by hand.");
}
