namespace Backup.Extensions.DependencyInjection;

/// <summary>
/// A database as a named source of hosted jobs (<c>Backup:Sources:{name}</c>; a job backs it up with
/// <c>"Source": "{name}"</c>), backed up through the <see cref="Providers.IDatabaseEngine"/> named by
/// <see cref="Engine"/>, which is registered in code with <see cref="BackupBuilder.AddDatabaseEngine"/>. The password
/// never sits here: it is read for each run from <see cref="PasswordFile"/> or <see cref="PasswordEnvironmentVariable"/>.
/// Validated at start-up; every message names the setting.
/// </summary>
public sealed class BackupDatabaseSourceOptions
{
    /// <summary>The engine's name: "postgres", "mysql" (MariaDB and MySQL) or "sqlite" (see <see cref="Providers.IDatabaseEngine.Name"/>).</summary>
    public string? Engine { get; set; }

    /// <summary>
    /// Whether <see cref="Engine"/> was not configured and is PostgreSQL only as release 1.0 read a source without one
    /// (<see cref="V1SourceSettings"/>): the validator then says Engine is required rather than that 'postgres', which
    /// nobody wrote, is not registered.
    /// </summary>
    internal bool EngineFromRelease1 { get; set; }

    /// <summary>The server's connection string, without a password (for a server engine: PostgreSQL, MariaDB/MySQL).</summary>
    public string? ConnectionString { get; set; }

    /// <summary>The database file (for a file engine: SQLite).</summary>
    public string? File { get; set; }

    /// <summary>The environment variable holding the server's password.</summary>
    public string? PasswordEnvironmentVariable { get; set; }

    /// <summary>A file whose first line is the server's password, e.g. a mounted secret.</summary>
    public string? PasswordFile { get; set; }

    /// <summary>Read through the driver alone, without the engine's dump tools (PostgreSQL, MariaDB/MySQL).</summary>
    public bool DriverOnly { get; set; }

    /// <summary>Back up every database of the server instead of the connection string's (PostgreSQL, MariaDB/MySQL).</summary>
    public bool AllDatabases { get; set; }

    /// <summary>Where the engine's dump and restore tools are; null: looked up as the engine does (by server version, then PATH).</summary>
    public string? ClientToolsDirectory { get; set; }

    /// <summary>Record per-table row counts and checksums in each snapshot (default true), so restore drills can compare them.</summary>
    public bool RecordChecksums { get; set; } = true;
}
