namespace Backup.Providers;

/// <summary>How a database engine's databases are named.</summary>
public enum DatabaseLocation
{
    /// <summary>A server, reached with a connection string (host, port, user, database).</summary>
    ConnectionString,

    /// <summary>A file on this machine.</summary>
    File,
}
