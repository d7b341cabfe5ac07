using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;

namespace Backup.Providers.MySql;

/// <summary>
/// The checksum a parallel backup computes from the rows as they pass (no second read of the table): the sum,
/// modulo 2^64, of XXH64 over each row's text form (the UTF-16 code units of the line <see cref="MyDriverData"/>
/// builds from the server's QUOTE()/HEX() of every stored column). Order independent and exact to the row text;
/// verification computes the same from the restored table with the same query.
/// </summary>
internal struct MyRowChecksum
{
    /// <summary>The value of <c>mysql.checksum_kind</c> for this checksum; snapshots without the key have <see cref="MyChecksums"/>' MD5 sums.</summary>
    public const string Kind = "rowtext-xxh64-sum";

    private const ulong Prime1 = 11400714785074694791UL;
    private const ulong Prime2 = 14029467366897019727UL;
    private const ulong Prime3 = 1609587929392839161UL;
    private const ulong Prime4 = 9650029242287828579UL;
    private const ulong Prime5 = 2870177450012600261UL;

    private ulong _sum;

    /// <summary>The rows added.</summary>
    public long Rows { get; private set; }

    /// <summary>Adds one row's text.</summary>
    public void Add(string row)
    {
        _sum += Hash(MemoryMarshal.AsBytes(row.AsSpan()));
        Rows++;
    }

    /// <summary>The checksum as recorded.</summary>
    public readonly string Value => _sum.ToString("x16", CultureInfo.InvariantCulture);

    /// <summary>XXH64 with seed 0.</summary>
    public static ulong Hash(ReadOnlySpan<byte> data)
    {
        var length = (ulong)data.Length;
        ulong h;
        if (data.Length >= 32)
        {
            ulong v1 = unchecked(Prime1 + Prime2), v2 = Prime2, v3 = 0, v4 = unchecked(0 - Prime1);
            while (data.Length >= 32)
            {
                v1 = Round(v1, BinaryPrimitives.ReadUInt64LittleEndian(data));
                v2 = Round(v2, BinaryPrimitives.ReadUInt64LittleEndian(data[8..]));
                v3 = Round(v3, BinaryPrimitives.ReadUInt64LittleEndian(data[16..]));
                v4 = Round(v4, BinaryPrimitives.ReadUInt64LittleEndian(data[24..]));
                data = data[32..];
            }

            h = BitOperations.RotateLeft(v1, 1) + BitOperations.RotateLeft(v2, 7) + BitOperations.RotateLeft(v3, 12) + BitOperations.RotateLeft(v4, 18);
            h = Merge(h, v1);
            h = Merge(h, v2);
            h = Merge(h, v3);
            h = Merge(h, v4);
        }
        else
        {
            h = Prime5;
        }

        h += length;
        while (data.Length >= 8)
        {
            h ^= Round(0, BinaryPrimitives.ReadUInt64LittleEndian(data));
            h = (BitOperations.RotateLeft(h, 27) * Prime1) + Prime4;
            data = data[8..];
        }

        if (data.Length >= 4)
        {
            h ^= BinaryPrimitives.ReadUInt32LittleEndian(data) * Prime1;
            h = (BitOperations.RotateLeft(h, 23) * Prime2) + Prime3;
            data = data[4..];
        }

        foreach (var b in data)
        {
            h ^= b * Prime5;
            h = BitOperations.RotateLeft(h, 11) * Prime1;
        }

        h ^= h >> 33;
        h *= Prime2;
        h ^= h >> 29;
        h *= Prime3;
        h ^= h >> 32;
        return h;
    }

    private static ulong Round(ulong accumulator, ulong input)
    {
        accumulator += input * Prime2;
        accumulator = BitOperations.RotateLeft(accumulator, 31);
        return accumulator * Prime1;
    }

    private static ulong Merge(ulong h, ulong value)
    {
        h ^= Round(0, value);
        return (h * Prime1) + Prime4;
    }
}
