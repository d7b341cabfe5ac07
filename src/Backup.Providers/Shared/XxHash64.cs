using System.Buffers.Binary;
using System.Numerics;

namespace Backup.Providers;

/// <summary>
/// XXH64 with seed 0, whole (<see cref="Hash"/>) or over bytes that arrive in pieces (<see cref="Append"/>,
/// <see cref="Digest"/>): the per-row hash behind the providers' stream checksums. Both forms give the reference
/// algorithm's values, which stored checksums depend on.
/// </summary>
internal sealed class XxHash64
{
    private const ulong P1 = 11400714785074694791UL;
    private const ulong P2 = 14029467366897019727UL;
    private const ulong P3 = 1609587929392839161UL;
    private const ulong P4 = 9650029242287828579UL;
    private const ulong P5 = 2870177450012600261UL;

    private readonly byte[] _buffer = new byte[32];
    private ulong _v1, _v2, _v3, _v4, _total;
    private int _buffered;

    public XxHash64() => Reset();

    /// <summary>The hash of <paramref name="data"/>, without allocating.</summary>
    public static ulong Hash(ReadOnlySpan<byte> data)
    {
        var length = (ulong)data.Length;
        ulong h;
        if (data.Length >= 32)
        {
            // Locals and one bounds check per stripe: rows of a few hundred bytes are hashed millions of times a backup.
            ulong v1 = unchecked(P1 + P2), v2 = P2, v3 = 0, v4 = unchecked(0 - P1);
            var at = 0;
            for (; data.Length - at >= 32; at += 32)
            {
                var stripe = data.Slice(at, 32);
                v1 = Round(v1, BinaryPrimitives.ReadUInt64LittleEndian(stripe));
                v2 = Round(v2, BinaryPrimitives.ReadUInt64LittleEndian(stripe[8..]));
                v3 = Round(v3, BinaryPrimitives.ReadUInt64LittleEndian(stripe[16..]));
                v4 = Round(v4, BinaryPrimitives.ReadUInt64LittleEndian(stripe[24..]));
            }

            data = data[at..];
            h = Converge(v1, v2, v3, v4);
        }
        else
        {
            h = P5;
        }

        return Finish(h + length, data);
    }

    /// <summary>Starts a new hash.</summary>
    public void Reset()
    {
        _v1 = unchecked(P1 + P2);
        _v2 = P2;
        _v3 = 0;
        _v4 = unchecked(0 - P1);
        _total = 0;
        _buffered = 0;
    }

    /// <summary>Adds the next bytes.</summary>
    public void Append(ReadOnlySpan<byte> data)
    {
        _total += (ulong)data.Length;
        if (_buffered > 0)
        {
            var take = Math.Min(32 - _buffered, data.Length);
            data[..take].CopyTo(_buffer.AsSpan(_buffered));
            _buffered += take;
            data = data[take..];
            if (_buffered < 32)
            {
                return;
            }

            Stripe(ref _v1, ref _v2, ref _v3, ref _v4, _buffer);
            _buffered = 0;
        }

        while (data.Length >= 32)
        {
            Stripe(ref _v1, ref _v2, ref _v3, ref _v4, data);
            data = data[32..];
        }

        data.CopyTo(_buffer);
        _buffered = data.Length;
    }

    /// <summary>The hash of everything appended since the last <see cref="Reset"/>.</summary>
    public ulong Digest() => Finish((_total >= 32 ? Converge(_v1, _v2, _v3, _v4) : P5) + _total, _buffer.AsSpan(0, _buffered));

    private static void Stripe(ref ulong v1, ref ulong v2, ref ulong v3, ref ulong v4, ReadOnlySpan<byte> stripe)
    {
        v1 = Round(v1, BinaryPrimitives.ReadUInt64LittleEndian(stripe));
        v2 = Round(v2, BinaryPrimitives.ReadUInt64LittleEndian(stripe[8..]));
        v3 = Round(v3, BinaryPrimitives.ReadUInt64LittleEndian(stripe[16..]));
        v4 = Round(v4, BinaryPrimitives.ReadUInt64LittleEndian(stripe[24..]));
    }

    private static ulong Converge(ulong v1, ulong v2, ulong v3, ulong v4)
    {
        var h = BitOperations.RotateLeft(v1, 1) + BitOperations.RotateLeft(v2, 7) + BitOperations.RotateLeft(v3, 12) + BitOperations.RotateLeft(v4, 18);
        h = Merge(h, v1);
        h = Merge(h, v2);
        h = Merge(h, v3);
        return Merge(h, v4);
    }

    /// <summary>Mixes in the last fewer-than-32 bytes and avalanches.</summary>
    private static ulong Finish(ulong h, ReadOnlySpan<byte> rest)
    {
        while (rest.Length >= 8)
        {
            h ^= Round(0, BinaryPrimitives.ReadUInt64LittleEndian(rest));
            h = (BitOperations.RotateLeft(h, 27) * P1) + P4;
            rest = rest[8..];
        }

        if (rest.Length >= 4)
        {
            h ^= BinaryPrimitives.ReadUInt32LittleEndian(rest) * P1;
            h = (BitOperations.RotateLeft(h, 23) * P2) + P3;
            rest = rest[4..];
        }

        foreach (var b in rest)
        {
            h ^= b * P5;
            h = BitOperations.RotateLeft(h, 11) * P1;
        }

        h ^= h >> 33;
        h *= P2;
        h ^= h >> 29;
        h *= P3;
        h ^= h >> 32;
        return h;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static ulong Round(ulong acc, ulong input) => BitOperations.RotateLeft(acc + (input * P2), 31) * P1;

    private static ulong Merge(ulong acc, ulong value) => ((acc ^ Round(0, value)) * P1) + P4;
}
