using System.Text.RegularExpressions;
using Backup.Core.Pipeline;
using Backup.Core.Storage;
using MySqlConnector;

namespace Backup.Providers.MySql;

/// <summary>
/// The schema of a driver-only dump, read with SHOW CREATE … inside the backup's transaction: the database's
/// character set, its base tables, views, routines, triggers and events, each as one statement with the sql_mode it
/// was created under. The rows are in the dump's <c>data.sql</c> (see <see cref="MyDriverData"/>).
/// </summary>
internal sealed partial record MyDriverManifest(
    int Version, string CharacterSet, string Collation, IReadOnlyList<MyDriverObject> Tables, IReadOnlyList<MyDriverObject> Routines,
    IReadOnlyList<MyDriverObject> Views, IReadOnlyList<MyDriverObject> Triggers, IReadOnlyList<MyDriverObject> Events)
{
    public const string FileName = "manifest.json";
    public const string DataFileName = "data.sql";

    /// <summary>What a driver-only backup refused for what it does not cover says to do, in the library's names.</summary>
    private const string DumpRemedy = "use the dump tool (MySqlBackupMethod.Dump).";

    /// <summary>A parallel dump's directory of per-table data files (see <see cref="TableFileName"/>).</summary>
    public const string TablesDirectoryName = "tables";

    /// <summary>The file of a parallel dump that holds <paramref name="table"/>'s rows.</summary>
    public static string TableFileName(string table) =>
        table.Replace("%", "%25", StringComparison.Ordinal).Replace("/", "%2F", StringComparison.Ordinal) + ".sql";

    /// <summary>
    /// Reads the schema of <paramref name="database"/> on a connection whose transaction is already open (it switches
    /// the default database with USE, so definitions come out unqualified). SHOW CREATE runs under an empty sql_mode:
    /// a server-wide ANSI_QUOTES would quote names with double quotes, which the restore's sessions read as strings,
    /// and ORACLE or NO_TABLE_OPTIONS would leave out engines and key options. The session's own mode is put back.
    /// </summary>
    public static async Task<MyDriverManifest> ReadAsync(MySqlConnection connection, string database, CancellationToken cancellationToken)
    {
        await ExecuteAsync(connection, "SET @backup_sql_mode = @@SESSION.sql_mode, SESSION sql_mode = ''", cancellationToken).ConfigureAwait(false);
        try
        {
            return await ReadUnderEmptyModeAsync(connection, database, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // Not with the caller's token, and not over the failure that brought us here: a cancelled or broken
            // connection is closed by the caller anyway.
            try
            {
                await ExecuteAsync(connection, "SET SESSION sql_mode = @backup_sql_mode, @backup_sql_mode = NULL", CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is MySqlException or InvalidOperationException or IOException)
            {
            }
        }
    }

    private static async Task<MyDriverManifest> ReadUnderEmptyModeAsync(MySqlConnection connection, string database, CancellationToken cancellationToken)
    {
        await ExecuteAsync(connection, $"USE {MyServer.QuoteIdentifier(database)}", cancellationToken).ConfigureAwait(false);
        string charset = "utf8mb4", collation = "utf8mb4_general_ci";
        await using (var command = new MySqlCommand("SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = @db", connection))
        {
            command.Parameters.AddWithValue("@db", database);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                (charset, collation) = (reader.GetString(0), reader.GetString(1));
            }
        }

        var tables = new List<MyDriverObject>();
        var views = new List<MyDriverObject>();
        HashSet<string>? databases = null;
        foreach (var (name, type) in await ListAsync(connection, "SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = @db ORDER BY TABLE_NAME", database, cancellationToken).ConfigureAwait(false))
        {
            switch (type)
            {
                case "BASE TABLE":
                case "SYSTEM VERSIONED":
                    var table = await ShowCreateAsync(connection, $"SHOW CREATE TABLE {MyServer.QuoteIdentifier(name)}", name, sqlModeColumn: null, statementColumn: 1, timeZoneColumn: null, cancellationToken).ConfigureAwait(false);
                    if (MyDefinition.Problem(table.Create, MyDefinition.Kind.Table, name, database) is { } problem)
                    {
                        // The restore would refuse it (see MyDefinition): better said now than at the restore.
                        throw new BackupSourceException($"Driver-only backups do not cover '{database}.{name}' ({problem})", BackupSourceRemedy.UseClientTools, DumpRemedy);
                    }

                    tables.Add(table);
                    break;
                case "VIEW":
                    var view = await ShowCreateAsync(connection, $"SHOW CREATE VIEW {MyServer.QuoteIdentifier(name)}", name, sqlModeColumn: null, statementColumn: 1, timeZoneColumn: null, cancellationToken).ConfigureAwait(false);
                    databases ??= await MyDriverRestore.DatabasesAsync(connection, cancellationToken).ConfigureAwait(false);
                    var viewProblem = MyDefinition.Problem(WithoutDefiner(view.Create), MyDefinition.Kind.View, name, database)
                        ?? (MyDefinition.OtherDatabaseRead(view.Create, default, database, databases) is { } other ? $"it reads the database '{BackupKeys.Printable(other)}', which creating it at a restore could run code of" : null);
                    if (viewProblem is not null)
                    {
                        throw new BackupSourceException($"Driver-only backups do not cover '{database}.{name}' ({viewProblem})", BackupSourceRemedy.UseClientTools, DumpRemedy);
                    }

                    views.Add(view);
                    break;
                default:
                    throw new BackupSourceException($"Driver-only backups do not cover {type.ToLowerInvariant()} objects ('{database}.{name}')", BackupSourceRemedy.UseClientTools, DumpRemedy);
            }
        }

        var routines = new List<MyDriverObject>();
        foreach (var (name, type) in await ListAsync(connection, "SELECT ROUTINE_NAME, ROUTINE_TYPE FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = @db ORDER BY ROUTINE_TYPE, ROUTINE_NAME", database, cancellationToken).ConfigureAwait(false))
        {
            routines.Add(await ShowCreateAsync(connection, $"SHOW CREATE {type} {MyServer.QuoteIdentifier(name)}", name, sqlModeColumn: 1, statementColumn: 2, timeZoneColumn: null, cancellationToken).ConfigureAwait(false));
        }

        var triggers = new List<MyDriverObject>();
        foreach (var (name, _) in await ListAsync(connection, "SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = @db ORDER BY EVENT_OBJECT_TABLE, ACTION_ORDER, TRIGGER_NAME", database, cancellationToken).ConfigureAwait(false))
        {
            triggers.Add(await ShowCreateAsync(connection, $"SHOW CREATE TRIGGER {MyServer.QuoteIdentifier(name)}", name, sqlModeColumn: 1, statementColumn: 2, timeZoneColumn: null, cancellationToken).ConfigureAwait(false));
        }

        var events = new List<MyDriverObject>();
        foreach (var (name, _) in await ListAsync(connection, "SELECT EVENT_NAME, '' FROM information_schema.EVENTS WHERE EVENT_SCHEMA = @db ORDER BY EVENT_NAME", database, cancellationToken).ConfigureAwait(false))
        {
            events.Add(await ShowCreateAsync(connection, $"SHOW CREATE EVENT {MyServer.QuoteIdentifier(name)}", name, sqlModeColumn: 1, statementColumn: 3, timeZoneColumn: 2, cancellationToken).ConfigureAwait(false));
        }

        return new MyDriverManifest(1, charset, collation, tables, routines, views, triggers, events);
    }

    /// <summary>
    /// Drops the DEFINER clause SHOW CREATE puts after CREATE (and a view's ALGORITHM), a user or a role, so the object
    /// is created by (and runs as) the restoring user, as pg_restore --no-owner does. Text further on is the object's own.
    /// </summary>
    public static string WithoutDefiner(string statement) => DefinerPattern().Replace(statement, "$1", 1);

    private static async Task ExecuteAsync(MySqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new MySqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<List<(string Name, string Type)>> ListAsync(MySqlConnection connection, string sql, string database, CancellationToken cancellationToken)
    {
        var list = new List<(string, string)>();
        await using var command = new MySqlCommand(sql, connection);
        command.Parameters.AddWithValue("@db", database);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add((reader.GetString(0), reader.GetString(1)));
        }

        return list;
    }

    private static async Task<MyDriverObject> ShowCreateAsync(MySqlConnection connection, string sql, string name, int? sqlModeColumn, int statementColumn, int? timeZoneColumn, CancellationToken cancellationToken)
    {
        await using var command = new MySqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false) || reader.IsDBNull(statementColumn))
        {
            throw new BackupSourceException($"'{sql}' returned no definition (the user may lack the privilege to see it).");
        }

        return new MyDriverObject(
            name,
            sqlModeColumn is { } mode && !reader.IsDBNull(mode) ? reader.GetString(mode) : null,
            reader.GetString(statementColumn),
            timeZoneColumn is { } zone && !reader.IsDBNull(zone) ? reader.GetString(zone) : null);
    }

    [GeneratedRegex(@"^(CREATE\s+(?:ALGORITHM\s*=\s*\w+\s+)?)DEFINER\s*=\s*(?:`(?:[^`]|``)*`|'(?:[^']|'')*'|[^\s@`']+)(?:\s*@\s*(?:`(?:[^`]|``)*`|'(?:[^']|'')*'|[^\s`']+))?\s*", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex DefinerPattern();
}

/// <summary>
/// One schema object of a driver-only dump: its name, the sql_mode it was created under (null: the restore's default),
/// its CREATE statement, and for an event the time zone its schedule is written in (null: UTC, as dumps before it).
/// </summary>
internal sealed record MyDriverObject(string Name, string? SqlMode, string Create, string? TimeZone = null);
