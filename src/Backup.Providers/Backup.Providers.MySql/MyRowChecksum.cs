using System.Globalization;
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
    public static ulong Hash(ReadOnlySpan<byte> data) => XxHash64.Hash(data);
}
