namespace Backup.DisasterRecovery;

/// <summary>A database server drills may create and drop scratch databases on.</summary>
public sealed class ScratchDatabaseServer
{
    /// <summary>A connection string to the server, without a password (for SQLite: unused, a scratch file is made). Required.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>A file whose first line is the password.</summary>
    public string? PasswordFile { get; set; }

    /// <summary>An environment variable holding the password.</summary>
    public string? PasswordEnvironmentVariable { get; set; }

    /// <summary>
    /// Run the snapshots' SQL as this server's user itself even when it may do more than a scratch database needs (a
    /// PostgreSQL superuser, a MariaDB/MySQL user with privileges ON *.*), instead of as a user made for each drill's
    /// restore. For databases that need what such a user is not given (dblink, foreign servers, untrusted languages),
    /// from repositories whose every writer is trusted with this user's rights. False by default.
    /// </summary>
    public bool TrustSnapshotSql { get; set; }
}
