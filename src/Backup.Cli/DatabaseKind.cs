namespace Backup.Cli;

/// <summary>The database engines the CLI backs up, restores and verifies.</summary>
internal enum DatabaseKind
{
    PostgreSql,
    MySql,
    Sqlite,
}
