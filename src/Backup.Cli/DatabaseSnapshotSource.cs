using System.Net;
using Backup.Core.Snapshots;

namespace Backup.Cli;

/// <summary>
/// Which database a database snapshot is of, for telling whether 'latest' is ambiguous. Its path names the server as
/// the backup reached it ('db1:5432/shop'); a server reached on the backing-up host itself ('localhost:5432/shop',
/// '127.0.0.1:…', a Unix socket, an SQLite file) is that host's own, so the same path from two hosts is two databases.
/// </summary>
internal static class DatabaseSnapshotSource
{
    /// <summary>The database <paramref name="snapshot"/> is of: its paths, and for a server on the host itself, the host too.</summary>
    public static string Of(Snapshot snapshot)
    {
        var paths = string.Join(", ", snapshot.Paths);
        return snapshot.Paths.Any(IsOnTheHostItself) ? $"{paths} on host '{snapshot.Hostname}'" : paths;
    }

    /// <summary>Whether <paramref name="path"/> ('HOST:PORT/DATABASE', or a file) names a server or file on the backing-up host itself.</summary>
    public static bool IsOnTheHostItself(string path)
    {
        // A Unix socket directory or an SQLite file; on Windows a drive letter.
        if (path.StartsWith('/') || Path.IsPathRooted(path))
        {
            return true;
        }

        var slash = path.IndexOf('/', StringComparison.Ordinal);
        var endpoint = slash < 0 ? path : path[..slash];
        var colon = endpoint.LastIndexOf(':');
        var host = (colon < 0 ? endpoint : endpoint[..colon]).Trim('[', ']');
        return host.Length == 0
            || host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));
    }
}
