using System.Buffers;
using MySqlConnector;

namespace Backup.Providers.MySql;

/// <summary>
/// Turns the rows of a plain <c>SELECT</c> into the value list of an INSERT, <c>(v1,v2,…)</c>, as UTF-8, formatted
/// here instead of by the server (whose <c>QUOTE()</c>/<c>CONCAT_WS</c>/<c>REPLACE</c> pass doubled its share of a
/// backup). Every column reaches the client flagged binary, so MySqlConnector hands the bytes over as they arrived,
/// with no parsing, conversion or string per value: numbers, dates and times as <c>CAST(… AS BINARY)</c> of the text
/// form the server sends anyway (exact decimals, dates and times with their fractional digits, zero dates, doubles in
/// their shortest round-trip form); binary strings as they are; utf8mb4 text as <c>col COLLATE utf8mb4_bin</c>, the
/// same bytes with the binary flag, which spares the server the CAST's pass over every byte (a sixth of its CPU in a
/// backup of text-heavy tables).
/// </summary>
/// <remarks>
/// Per column kind: numbers verbatim; FLOAT as <c>col + 0e0</c> (the double of the float, which reads back to the
/// same float, where FLOAT's own text form keeps 6 digits); dates and times verbatim in quotes; BIT as the unsigned
/// number of its bytes; binary strings, BLOBs and spatial values as <c>X'…'</c>; character strings (text, ENUM, SET,
/// JSON, and any type this code does not know, through its text form) converted to utf8mb4 by the server unless
/// stored in a UTF-8 or ASCII character set, then quoted with <c>\0 \n \r \\ \' \Z</c> escaped: the restore's sessions
/// run without NO_BACKSLASH_ESCAPES, and with no raw line break in a value each statement stays one line.
/// </remarks>
internal sealed class MyRowFormat
{
    private static readonly SearchValues<byte> Special = SearchValues.Create([0, (byte)'\n', (byte)'\r', (byte)'\\', (byte)'\'', 0x1A]);
    private static readonly HashSet<string> NumberTypes = new(StringComparer.OrdinalIgnoreCase) { "tinyint", "smallint", "mediumint", "int", "integer", "bigint", "decimal", "numeric", "double", "real", "year" };
    private static readonly HashSet<string> TimeTypes = new(StringComparer.OrdinalIgnoreCase) { "date", "datetime", "timestamp", "time" };
    private static readonly HashSet<string> TextTypes = new(StringComparer.OrdinalIgnoreCase) { "char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set", "json" };
    private static readonly HashSet<string> SpatialTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        "geometry", "point", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon", "geometrycollection", "geomcollection",
    };

    // Text whose utf8mb4 bytes a COLLATE passes through unchanged (not MySQL's native JSON type, which has no collation).
    private static readonly HashSet<string> CollatableTextTypes = new(StringComparer.OrdinalIgnoreCase) { "char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set" };

    // Binary strings are sent as they are stored, flagged binary, so MySqlConnector hands their bytes over without a CAST.
    private static readonly HashSet<string> BinaryStringTypes = new(StringComparer.OrdinalIgnoreCase) { "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob" };

    private static readonly HashSet<string> Utf8Charsets = new(StringComparer.OrdinalIgnoreCase) { "utf8mb4", "utf8mb3", "utf8", "ascii" };

    private readonly Kind[] _kinds;
    private readonly bool[] _nullable;
    private readonly string[] _names;
    private byte[] _row = new byte[4096];
    private byte[] _value = new byte[1024];
    private int _length;

    private MyRowFormat(Kind[] kinds, bool[] nullable, string[] names, string[] expressions, string select)
    {
        _kinds = kinds;
        _nullable = nullable;
        _names = names;
        ColumnExpressions = expressions;
        Select = select;
    }

    private enum Kind : byte
    {
        Number,
        Time,
        Bit,
        Hex,
        Text,
    }

    /// <summary>Whether values of <paramref name="type"/> (a DATA_TYPE) are written as <c>X'…'</c>: binary strings and spatial values.</summary>
    public static bool IsHexType(string type) => BinaryStringTypes.Contains(type) || SpatialTypes.Contains(type);

    /// <summary>The query that reads the rows in the order and form <see cref="Format"/> expects.</summary>
    public string Select { get; }

    /// <summary>What <see cref="Select"/> reads for each column, in order.</summary>
    public IReadOnlyList<string> ColumnExpressions { get; }

    /// <summary>The last row formatted: <c>(v1,v2,…)</c> in UTF-8, valid until the next <see cref="Format"/>.</summary>
    public ReadOnlySpan<byte> Row => _row.AsSpan(0, _length);

    /// <summary>
    /// The format for the stored <paramref name="columns"/> (name, DATA_TYPE, CHARACTER_SET_NAME, IS_NULLABLE) of
    /// <paramref name="database"/>.<paramref name="table"/>. A column declared NOT NULL is read without asking the
    /// reader whether the value is NULL: should one arrive anyway, reading it throws and the backup fails.
    /// </summary>
    public static MyRowFormat For(string database, string table, IReadOnlyList<(string Name, string Type, string? Charset, bool Nullable)> columns)
    {
        var kinds = new Kind[columns.Count];
        var nullable = new bool[columns.Count];
        var select = new List<string>(columns.Count);
        for (var i = 0; i < columns.Count; i++)
        {
            var (name, type, charset, mayBeNull) = columns[i];
            nullable[i] = mayBeNull;
            var quoted = MyServer.QuoteIdentifier(name);
            var cast = $"CAST({quoted} AS BINARY)";
            (kinds[i], var expression) = type.ToLowerInvariant() switch
            {
                "float" => (Kind.Number, $"CAST(({quoted} + 0e0) AS BINARY)"),
                "bit" => (Kind.Bit, cast),
                _ when NumberTypes.Contains(type) => (Kind.Number, cast),
                _ when TimeTypes.Contains(type) => (Kind.Time, cast),
                _ when BinaryStringTypes.Contains(type) => (Kind.Hex, quoted),
                _ when SpatialTypes.Contains(type) => (Kind.Hex, cast),
                _ when CollatableTextTypes.Contains(type) && "utf8mb4".Equals(charset, StringComparison.OrdinalIgnoreCase) => (Kind.Text, $"{quoted} COLLATE utf8mb4_bin"),
                _ when TextTypes.Contains(type) && charset is not null && Utf8Charsets.Contains(charset) => (Kind.Text, cast),
                _ => (Kind.Text, $"CAST(CONVERT({quoted} USING utf8mb4) AS BINARY)"),
            };
            select.Add(expression);
        }

        return new MyRowFormat(kinds, nullable, [.. columns.Select(c => c.Name)], [.. select], $"SELECT {string.Join(", ", select)} FROM {MyServer.QuoteIdentifier(database)}.{MyServer.QuoteIdentifier(table)}");
    }

    /// <summary>Formats the reader's current row into <see cref="Row"/>.</summary>
    public void Format(MySqlDataReader reader)
    {
        _length = 0;
        Append((byte)'(');
        for (var i = 0; i < _kinds.Length; i++)
        {
            if (i > 0)
            {
                Append((byte)',');
            }

            if (_nullable[i] && reader.IsDBNull(i))
            {
                Append("NULL"u8);
                continue;
            }

            var value = Read(reader, i);
            switch (_kinds[i])
            {
                case Kind.Number:
                    Append(value);
                    break;
                case Kind.Time:
                    Append((byte)'\'');
                    Append(value);
                    Append((byte)'\'');
                    break;
                case Kind.Bit:
                    AppendBit(value);
                    break;
                case Kind.Hex:
                    AppendHex(value);
                    break;
                default:
                    AppendText(value);
                    break;
            }
        }

        Append((byte)')');
    }

    /// <summary>The bytes of column <paramref name="ordinal"/>, copied in one call when they fit the buffer (most do).</summary>
    private ReadOnlySpan<byte> Read(MySqlDataReader reader, int ordinal)
    {
        int length;
        try
        {
            length = (int)reader.GetBytes(ordinal, 0, _value, 0, _value.Length);
        }
        catch (InvalidCastException) when (!_nullable[ordinal] && reader.IsDBNull(ordinal))
        {
            throw new InvalidDataException($"The server sent NULL for column '{_names[ordinal]}', which the table declares NOT NULL; the backup stops rather than store a value the table cannot hold.");
        }

        if (length == _value.Length)
        {
            var whole = (int)reader.GetBytes(ordinal, 0, null, 0, 0);
            if (whole > length)
            {
                _value = new byte[Math.Max(whole, _value.Length * 2)];
                length = (int)reader.GetBytes(ordinal, 0, _value, 0, whole);
            }
        }

        return _value.AsSpan(0, length);
    }

    private void AppendBit(ReadOnlySpan<byte> value)
    {
        ulong number = 0;
        foreach (var b in value)
        {
            number = (number << 8) | b;
        }

        number.TryFormat(Reserve(20), out var written, default, System.Globalization.CultureInfo.InvariantCulture);
        _length += written;
    }

    private void AppendHex(ReadOnlySpan<byte> value)
    {
        var span = Reserve(3 + (2 * value.Length));
        span[0] = (byte)'X';
        span[1] = (byte)'\'';
        Convert.TryToHexString(value, span[2..], out var written);
        span[2 + written] = (byte)'\'';
        _length += 3 + written;
    }

    private void AppendText(ReadOnlySpan<byte> value)
    {
        // At most two bytes out for every byte in, plus the quotes.
        var span = Reserve(2 + (2 * value.Length));
        var at = 0;
        span[at++] = (byte)'\'';
        while (true)
        {
            var next = value.IndexOfAny(Special);
            var run = next < 0 ? value : value[..next];
            run.CopyTo(span[at..]);
            at += run.Length;
            if (next < 0)
            {
                break;
            }

            span[at++] = (byte)'\\';
            span[at++] = value[next] switch
            {
                0 => (byte)'0',
                (byte)'\n' => (byte)'n',
                (byte)'\r' => (byte)'r',
                0x1A => (byte)'Z',
                var c => c,
            };
            value = value[(next + 1)..];
        }

        span[at++] = (byte)'\'';
        _length += at;
    }

    private void Append(byte b)
    {
        Reserve(1)[0] = b;
        _length++;
    }

    private void Append(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(Reserve(bytes.Length));
        _length += bytes.Length;
    }

    /// <summary>Room for <paramref name="count"/> more bytes at the end of the row (the caller adds what it wrote to <see cref="_length"/>).</summary>
    private Span<byte> Reserve(int count)
    {
        if (_row.Length - _length < count)
        {
            Array.Resize(ref _row, Math.Max(_length + count, _row.Length * 2));
        }

        return _row.AsSpan(_length, count);
    }
}
