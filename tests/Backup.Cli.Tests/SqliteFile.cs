using Microsoft.Data.Sqlite;

namespace Backup.Cli.Tests;

/// <summary>SQL run on a SQLite file by the tests, unpooled so that the file is closed again before the tool opens it.</summary>
internal static class SqliteFile
{
    public static async Task ExecuteAsync(string path, string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}
