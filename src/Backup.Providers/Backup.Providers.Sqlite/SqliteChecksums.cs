using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;

namespace Backup.Providers.Sqlite;

/// <summary>Per-table row counts and checksums, and the integrity check.</summary>
internal static class SqliteChecksums
{
    /// <summary>
    /// Every user table: row count and the sum of a SHA-256 of each row's typed values (order independent, constant
    /// memory; SQLite has no hash function of its own to do it in SQL).
    /// </summary>
    public static async Task<List<TableChecksum>> MeasureAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        var tables = new List<string>();
        await using (var list = connection.CreateCommand())
        {
            list.CommandText = "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name";
            await using var reader = await list.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                tables.Add(reader.GetString(0));
            }
        }

        var result = new List<TableChecksum>(tables.Count);
        var hash = new byte[32];
        foreach (var table in tables)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT * FROM \"{table.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            long rows = 0;
            ulong sum = 0;
            using var row = new MemoryStream();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                row.SetLength(0);
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    Append(row, reader.IsDBNull(i) ? null : reader.GetValue(i));
                }

                SHA256.HashData(row.GetBuffer().AsSpan(0, (int)row.Length), hash);
                sum = unchecked(sum + BinaryPrimitives.ReadUInt64BigEndian(hash));
                rows++;
            }

            result.Add(new TableChecksum { Table = table, Rows = rows, Checksum = sum.ToString("x16", CultureInfo.InvariantCulture) });
        }

        return result;
    }

    /// <summary>The findings of PRAGMA integrity_check; empty when the database is sound.</summary>
    public static async Task<List<string>> IntegrityCheckAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        var findings = new List<string>();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var line = reader.GetString(0);
            if (line != "ok")
            {
                findings.Add(line);
            }
        }

        return findings;
    }

    private static void Append(MemoryStream row, object? value)
    {
        // A type tag before each value: 1 (integer) and '1' (text) must not hash alike.
        switch (value)
        {
            case null:
                row.WriteByte(0);
                break;
            case long l:
                row.WriteByte(1);
                Span<byte> buffer = stackalloc byte[8];
                BinaryPrimitives.WriteInt64BigEndian(buffer, l);
                row.Write(buffer);
                break;
            case double d:
                row.WriteByte(2);
                Span<byte> bits = stackalloc byte[8];
                BinaryPrimitives.WriteDoubleBigEndian(bits, d);
                row.Write(bits);
                break;
            case byte[] blob:
                row.WriteByte(3);
                WriteLength(row, blob.Length);
                row.Write(blob);
                break;
            default:
                var text = Encoding.UTF8.GetBytes(Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty);
                row.WriteByte(4);
                WriteLength(row, text.Length);
                row.Write(text);
                break;
        }
    }

    private static void WriteLength(MemoryStream row, int length)
    {
        Span<byte> buffer = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(buffer, length);
        row.Write(buffer);
    }
}
