using System.Globalization;
using System.Runtime.InteropServices;

namespace Backup.Providers.MySql;

/// <summary>
/// The checksum a parallel backup computes from the rows as they pass (no second read of the table): the sum,
/// modulo 2^64, of XXH64 over each row's text form. Order independent and exact to the row text; verification
/// computes the same from the restored table with the same query and formatting.
/// </summary>
/// <remarks>
/// Two kinds, told apart by <c>mysql.checksum_kind</c>: <see cref="Kind"/> hashes the UTF-8 bytes of the value list
/// <see cref="MyRowFormat"/> builds client-side (<see cref="Add(ReadOnlySpan{byte})"/>); <see cref="ServerTextKind"/>,
/// written before, hashed the UTF-16 code units of the value list the server built with QUOTE()/HEX()
/// (<see cref="Add(string)"/>, still measured that way to verify those snapshots).
/// </remarks>
internal struct MyRowChecksum
{
    /// <summary>The value of <c>mysql.checksum_kind</c> for this checksum; snapshots without the key have <see cref="MyChecksums"/>' MD5 sums.</summary>
    public const string Kind = "rowutf8-xxh64-sum";

    /// <summary>The kind parallel snapshots recorded while the server formatted the rows (see <see cref="MyDriverData.MeasureServerTextAsync"/>).</summary>
    public const string ServerTextKind = "rowtext-xxh64-sum";

    private ulong _sum;

    /// <summary>The rows added.</summary>
    public long Rows { get; private set; }

    /// <summary>Adds one row's UTF-8 text (<see cref="Kind"/>).</summary>
    public void Add(ReadOnlySpan<byte> row)
    {
        _sum += Hash(row);
        Rows++;
    }

    /// <summary>Adds one row's text as UTF-16 code units (<see cref="ServerTextKind"/>).</summary>
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
