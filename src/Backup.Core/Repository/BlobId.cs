using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Backup.Core.Repository;

/// <summary>
/// A 32-byte identifier: a keyed hash of a blob's plaintext (so equal content has one ID, and the ID reveals
/// nothing without the repository key), or the SHA-256 of a stored object's bytes.
/// </summary>
public readonly struct BlobId : IEquatable<BlobId>, IComparable<BlobId>
{
    /// <summary>The size in bytes.</summary>
    public const int Size = 32;

    private readonly ulong _a, _b, _c, _d;

    /// <summary>Reads an ID from 32 bytes.</summary>
    public BlobId(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < Size)
        {
            throw new ArgumentException("A blob ID is 32 bytes.", nameof(bytes));
        }

        _a = BinaryPrimitives.ReadUInt64BigEndian(bytes);
        _b = BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]);
        _c = BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]);
        _d = BinaryPrimitives.ReadUInt64BigEndian(bytes[24..]);
    }

    /// <summary>Whether this is the all-zero ID (never the ID of real content).</summary>
    public bool IsEmpty => (_a | _b | _c | _d) == 0;

    /// <summary>The keyed ID of <paramref name="content"/>: HMAC-SHA256 under <paramref name="key"/>.</summary>
    public static BlobId Compute(ReadOnlySpan<byte> key, ReadOnlySpan<byte> content)
    {
        Span<byte> hash = stackalloc byte[Size];
        HMACSHA256.HashData(key, content, hash);
        return new BlobId(hash);
    }

    /// <summary>The SHA-256 of <paramref name="content"/>, which names stored objects.</summary>
    public static BlobId Sha256(ReadOnlySpan<byte> content)
    {
        Span<byte> hash = stackalloc byte[Size];
        SHA256.HashData(content, hash);
        return new BlobId(hash);
    }

    /// <summary>Parses 64 hexadecimal digits.</summary>
    /// <exception cref="FormatException">The text is not 64 hexadecimal digits.</exception>
    public static BlobId Parse(string hex)
    {
        if (!TryParse(hex, out var id))
        {
            throw new FormatException($"'{hex}' is not a 64-digit hexadecimal ID.");
        }

        return id;
    }

    /// <summary>Parses 64 hexadecimal digits, or returns false.</summary>
    public static bool TryParse(string? hex, out BlobId id)
    {
        id = default;
        if (hex is null || hex.Length != Size * 2)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[Size];
        if (Convert.FromHexString(hex, bytes, out _, out var written) != System.Buffers.OperationStatus.Done || written != Size)
        {
            return false;
        }

        id = new BlobId(bytes);
        return true;
    }

    /// <summary>Writes the 32 bytes into <paramref name="destination"/>.</summary>
    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _a);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _b);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], _c);
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..], _d);
    }

    /// <summary>The 32 bytes.</summary>
    public byte[] ToArray()
    {
        var bytes = new byte[Size];
        WriteTo(bytes);
        return bytes;
    }

    /// <summary>The first 8 hexadecimal digits, as shown to people.</summary>
    public string ToShortString() => ToString()[..8];

    /// <summary>The 64 lower-case hexadecimal digits.</summary>
    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[Size];
        WriteTo(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    /// <inheritdoc />
    public bool Equals(BlobId other) => _a == other._a && _b == other._b && _c == other._c && _d == other._d;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is BlobId other && Equals(other);

    /// <summary>
    /// A hash of all 32 bytes, seeded per process (<see cref="HashCode"/>): IDs are keyed hashes only when honest, and
    /// a client that may add index entries can list IDs of its choosing, so a hash of the first word alone would let it
    /// pile every entry into one chain and make loading the index quadratic.
    /// </summary>
    public override int GetHashCode() =>
        HashCode.Combine((uint)_a, (uint)(_a >> 32), (uint)_b, (uint)(_b >> 32), (uint)_c, (uint)(_c >> 32), (uint)_d, (uint)(_d >> 32));

    /// <inheritdoc />
    public int CompareTo(BlobId other)
    {
        var c = _a.CompareTo(other._a);
        if (c == 0) c = _b.CompareTo(other._b);
        if (c == 0) c = _c.CompareTo(other._c);
        return c == 0 ? _d.CompareTo(other._d) : c;
    }

    /// <summary>Equality.</summary>
    public static bool operator ==(BlobId left, BlobId right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(BlobId left, BlobId right) => !left.Equals(right);

    /// <summary>Ordering.</summary>
    public static bool operator <(BlobId left, BlobId right) => left.CompareTo(right) < 0;

    /// <summary>Ordering.</summary>
    public static bool operator >(BlobId left, BlobId right) => left.CompareTo(right) > 0;

    /// <summary>Ordering.</summary>
    public static bool operator <=(BlobId left, BlobId right) => left.CompareTo(right) <= 0;

    /// <summary>Ordering.</summary>
    public static bool operator >=(BlobId left, BlobId right) => left.CompareTo(right) >= 0;
}
