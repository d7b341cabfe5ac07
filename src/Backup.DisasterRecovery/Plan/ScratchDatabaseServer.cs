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
}
