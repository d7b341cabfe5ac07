namespace Backup.Providers.MySql;

/// <summary>How a MariaDB/MySQL database is read.</summary>
public enum MySqlBackupMethod
{
    /// <summary>mariadb-dump (or mysqldump) <c>--single-transaction</c>; needs the client tools, restored with the mariadb/mysql client.</summary>
    Dump,

    /// <summary>
    /// No client tools, for the backup or the restore: MySqlConnector reads every base table inside one
    /// <c>START TRANSACTION WITH CONSISTENT SNAPSHOT</c> (REPEATABLE READ), the same transaction the per-table
    /// checksums are measured in. The schema comes from SHOW CREATE TABLE/VIEW/PROCEDURE/FUNCTION/TRIGGER/EVENT
    /// (each with its sql_mode; DEFINER clauses are dropped, so restored objects belong to the restoring user), the
    /// rows are stored as batched multi-row INSERT statements (binary, BIT and spatial columns as hex literals;
    /// generated columns are left to the server). Not covered: MariaDB SEQUENCE objects, users and grants,
    /// tablespaces, and consistency of non-InnoDB tables (MyISAM, Aria) or of DDL running during the backup.
    /// </summary>
    DriverOnly,

    /// <summary>
    /// Driver-only like <see cref="DriverOnly"/> (same coverage, no client tools), but read on several connections
    /// that share one consistent snapshot (<see cref="MySqlSourceOptions.Jobs"/>; taken under a brief
    /// <c>FLUSH TABLES WITH READ LOCK</c>, which needs the RELOAD privilege, else one connection is used), one file
    /// per table streamed into the repository, and per-table checksums computed from the rows as they pass instead of
    /// in a second read. Restored with several connections loading tables at once.
    /// </summary>
    Parallel,
}
