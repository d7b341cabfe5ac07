using Microsoft.Extensions.Logging;

namespace Backup.Providers;

/// <summary>What to back up, for <see cref="IDatabaseEngine.CreateSource"/>.</summary>
public sealed class DatabaseBackupSettings
{
    /// <summary>The connection string (without a password) or the file, as <see cref="IDatabaseEngine.Location"/> says.</summary>
    public required string Location { get; init; }

    /// <summary>The server's password, or null for none (or one the connection string carries).</summary>
    public string? Password { get; init; }

    /// <summary>Every database of the server (where <see cref="IDatabaseEngine.SupportsAllDatabases"/>).</summary>
    public bool AllDatabases { get; init; }

    /// <summary>Read through the driver alone (where <see cref="IDatabaseEngine.SupportsDriverOnly"/>).</summary>
    public bool DriverOnly { get; init; }

    /// <summary>Where the engine's dump tools are; null: looked up as the engine does (by server version, then PATH). Ignored for a file.</summary>
    public string? ClientToolsDirectory { get; init; }

    /// <summary>Record per-table row counts and checksums in the snapshot (default true), for verified restores.</summary>
    public bool RecordChecksums { get; init; } = true;

    /// <summary>Where the source logs (a host's logger factory), or null for no logging.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }
}

/// <summary>Where and how to restore, for <see cref="IDatabaseEngine.RestoreAsync"/>.</summary>
public sealed class DatabaseRestoreSettings
{
    /// <summary>The server's connection string (its database is the target unless <see cref="TargetDatabase"/> is set) or the target file.</summary>
    public required string Location { get; init; }

    /// <summary>The server's password, or null.</summary>
    public string? Password { get; init; }

    /// <summary>The database to restore into, instead of the connection string's.</summary>
    public string? TargetDatabase { get; init; }

    /// <summary>Which database of a multi-database snapshot to restore.</summary>
    public string? SourceDatabase { get; init; }

    /// <summary>Restore over an existing database (or file).</summary>
    public bool Clean { get; init; }

    /// <summary>Restore only these tables (where <see cref="IDatabaseEngine.SupportsTableSelection"/>).</summary>
    public IReadOnlyList<string> Tables { get; init; } = [];

    /// <summary>Parallel restore jobs (where <see cref="IDatabaseEngine.SupportsParallelRestore"/>).</summary>
    public int Jobs { get; init; } = 1;

    /// <summary>
    /// Create the snapshot's scheduled jobs disabled (MariaDB/MySQL events; other engines restore none), so that a
    /// copy restored beside the original, or by a drill, does not run them: they would change its rows and run with
    /// the restoring user's privileges.
    /// </summary>
    public bool EventsDisabled { get; init; }

    /// <summary>
    /// For a scratch copy (a drill) of a snapshot someone else may have written: when the connecting user may do more
    /// than the restore needs (a PostgreSQL superuser), run the snapshot's SQL as a user made for this restore that owns
    /// the new target database and nothing else; <see cref="IDatabaseEngine.DropAsync"/> drops it with the database.
    /// PostgreSQL and MariaDB/MySQL (whose target must then be named like a scratch database: <c>dr_</c> and 12 hex
    /// digits); SQLite, a file, ignores it.
    /// </summary>
    public bool ScratchUser { get; init; }

    /// <summary>
    /// After the restore, compare the restored tables (those of <see cref="Tables"/> when set) with the checksums
    /// recorded at backup time: <see cref="DatabaseRestoreResult.Verification"/> says what differs, and the database
    /// stays as restored. A snapshot without recorded checksums is refused (<see cref="ArgumentException"/>, from the
    /// call) before anything is restored.
    /// </summary>
    public bool Verify { get; init; }
}

/// <summary>Where a test restore goes, for <see cref="IDatabaseEngine.VerifyAsync"/>.</summary>
public sealed class DatabaseVerifySettings
{
    /// <summary>A server's connection string where a scratch database may be created and dropped, or the directory for a scratch file (null: the temp directory).</summary>
    public string? Scratch { get; init; }

    /// <summary>The scratch server's password, or null.</summary>
    public string? Password { get; init; }

    /// <summary>Where the engine's restore tools are; null: looked up as the engine does. Ignored for a file.</summary>
    public string? ClientToolsDirectory { get; init; }

    /// <summary>
    /// When the connecting user may do more than the test restore needs (a PostgreSQL superuser), run the snapshot's
    /// SQL as a user made for the scratch database and dropped with it; on by default. Off only when everyone who can
    /// write to the repository is trusted with that user's rights. PostgreSQL and MariaDB/MySQL; SQLite ignores it.
    /// </summary>
    public bool ScratchUser { get; init; } = true;
}
