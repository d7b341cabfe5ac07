using Backup.Core.Snapshots;
using Backup.Providers;
using Backup.Providers.MySql;
using Backup.Providers.PostgreSql;
using Backup.Providers.Sqlite;

namespace Backup.Cli;

/// <summary>
/// The database engines the CLI backs up, restores and verifies, with the help of their options (<c>--NAME</c> and
/// <c>--to-NAME</c>). Commands look an engine up here and ask its descriptor; a new engine is one more entry.
/// </summary>
internal static class DatabaseEngines
{
    public static IReadOnlyList<CliDatabaseEngine> All { get; } =
    [
        new(new PostgreSqlEngine(),
            "Back up a PostgreSQL database (pg_dump, consistent snapshot, per-table checksums). CONNSTRING is Npgsql's 'Host=…;Port=…;Username=…;Database=…'",
            "Restore a PostgreSQL snapshot into this server (Npgsql connection string; its Database is the target unless --database is given).",
            "drops the snapshot's tables there (with other tables' foreign keys that point at them) and replaces its other objects, leaving those the snapshot does not hold"),
        new(new MySqlEngine(),
            "Back up a MariaDB/MySQL database (mariadb-dump --single-transaction, or --driver-only). CONNSTRING is 'Server=…;Port=…;User ID=…;Database=…'",
            "Restore a MariaDB/MySQL snapshot into this server (connection string; its Database is the target unless --database is given).",
            "drops the whole database (every table, view, routine, trigger and event in it) and recreates it from the snapshot"),
        new(new SqliteEngine(),
            "Back up a SQLite database file (online backup API: writers may keep going).",
            "Restore a SQLite snapshot to this file (checked with PRAGMA integrity_check before it is put in place).",
            "replaces the whole file once the restored copy passed its integrity check"),
    ];

    /// <summary>The engine whose snapshots have <paramref name="snapshot"/>'s source kind, or null for a files or stream snapshot.</summary>
    public static CliDatabaseEngine? OfSnapshot(Snapshot snapshot) => All.FirstOrDefault(e => e.Engine.Kind == snapshot.SourceKind);

    /// <summary>The engines' own password variables, for help texts ("$PGPASSWORD / $MYSQL_PWD").</summary>
    public static string PasswordVariables => string.Join(" / ", All.SelectMany(e => e.Engine.PasswordEnvironmentVariables).Select(v => "$" + v));

    /// <summary>"a", "a and b", "a, b and c" (with <paramref name="conjunction"/> before the last).</summary>
    public static string Join(IEnumerable<string> items, string conjunction = "and")
    {
        var list = items.ToList();
        return list.Count <= 1 ? string.Concat(list) : $"{string.Join(", ", list.Take(list.Count - 1))} {conjunction} {list[^1]}";
    }
}

/// <summary>An engine's descriptor with what the CLI adds: its option names and help.</summary>
/// <param name="Engine">The library's engine.</param>
/// <param name="BackupHelp">The help of <see cref="BackupOption"/>.</param>
/// <param name="RestoreHelp">The help of <see cref="RestoreOption"/>.</param>
/// <param name="CleanReplaces">What <c>--clean</c> drops or replaces of an existing target, for the error that refuses one without it ("drops the whole database …").</param>
internal sealed record CliDatabaseEngine(IDatabaseEngine Engine, string BackupHelp, string RestoreHelp, string CleanReplaces)
{
    /// <summary><c>backup create --postgres</c>.</summary>
    public string BackupOption => "--" + Engine.Name;

    /// <summary><c>backup restore --to-postgres</c>.</summary>
    public string RestoreOption => "--to-" + Engine.Name;

    /// <summary>What the option's value is.</summary>
    public string HelpName => IsFile ? "FILE" : "CONNSTRING";

    /// <summary>A database that is a file (no server, no password).</summary>
    public bool IsFile => Engine.Location == DatabaseLocation.File;

    /// <summary>The backup option's help, with where the password comes from.</summary>
    public string BackupDescription => IsFile
        ? BackupHelp
        : $"{BackupHelp}; the password comes from --db-password-file, ${DatabasePasswordResolver.Variable} or {string.Join(" or ", Engine.PasswordEnvironmentVariables.Select(v => "$" + v))}.";
}
