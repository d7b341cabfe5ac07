using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Backup.Core.Chunking;

/// <summary>
/// FastCDC content-defined chunking with normalised chunking (level 2) and a gear table derived from a
/// per-repository secret, so chunk boundaries depend on the secret and do not fingerprint the content.
/// </summary>
/// <remarks>
/// The rolling hash is <c>h = (h &lt;&lt; 1) + gear[byte]</c>; a boundary is cut after a byte when the hash's top
/// bits under the current mask are all zero. Before the average size the mask has two more bits than
/// log2(average) (cuts are rarer), after it two fewer (cuts are likelier), which narrows the size distribution.
/// The first <see cref="ChunkerOptions.MinSize"/> bytes of a chunk are skipped without hashing.
/// </remarks>
internal sealed class FastCdcChunker
{
    private readonly ulong[] _gear;
    private readonly ulong _maskSmall;
    private readonly ulong _maskLarge;

    /// <summary>Creates a chunker keyed by <paramref name="secret"/> (at least 16 bytes).</summary>
    public FastCdcChunker(ReadOnlySpan<byte> secret, ChunkerOptions? options = null)
    {
        if (secret.Length < 16)
        {
            throw new ArgumentException("The chunker secret must be at least 16 bytes.", nameof(secret));
        }

        Options = options ?? new ChunkerOptions();
        Options.Validate();
        _gear = DeriveGearTable(secret);
        var bits = BitOperations.Log2((uint)Options.AverageSize);
        _maskSmall = TopBits(bits + 2);
        _maskLarge = TopBits(bits - 2);
    }

    /// <summary>The size limits.</summary>
    public ChunkerOptions Options { get; }

    /// <summary>
    /// Returns the length of the next chunk at the start of <paramref name="data"/>. Give it at least
    /// <see cref="ChunkerOptions.MaxSize"/> bytes, or all that is left of the stream: with fewer, the end of
    /// <paramref name="data"/> is taken as the end of the stream.
    /// </summary>
    public int NextBoundary(ReadOnlySpan<byte> data)
    {
        var length = data.Length;
        var min = Options.MinSize;
        if (length <= min)
        {
            return length;
        }

        if (length > Options.MaxSize)
        {
            length = Options.MaxSize;
        }

        var normal = Math.Min(Options.AverageSize, length);
        ref var gear = ref MemoryMarshal.GetArrayDataReference(_gear);
        ref var start = ref MemoryMarshal.GetReference(data);
        ulong hash = 0;
        var i = min;
        var maskSmall = _maskSmall;
        var maskLarge = _maskLarge;
        for (; i < normal; i++)
        {
            hash = (hash << 1) + Unsafe.Add(ref gear, Unsafe.Add(ref start, i));
            if ((hash & maskSmall) == 0)
            {
                return i + 1;
            }
        }

        for (; i < length; i++)
        {
            hash = (hash << 1) + Unsafe.Add(ref gear, Unsafe.Add(ref start, i));
            if ((hash & maskLarge) == 0)
            {
                return i + 1;
            }
        }

        return length;
    }

    private static ulong TopBits(int count) => count <= 0 ? 0 : ulong.MaxValue << (64 - count);

    private static ulong[] DeriveGearTable(ReadOnlySpan<byte> secret)
    {
        // 256 pseudo-random 64-bit values: HMAC-SHA256(secret, "gear" || block) expanded 4 values per block.
        var table = new ulong[256];
        Span<byte> message = stackalloc byte[8];
        Span<byte> block = stackalloc byte[32];
        "gear"u8.CopyTo(message);
        for (var i = 0; i < 256; i += 4)
        {
            BinaryPrimitives.WriteInt32LittleEndian(message[4..], i);
            HMACSHA256.HashData(secret, message, block);
            for (var j = 0; j < 4; j++)
            {
                table[i + j] = BinaryPrimitives.ReadUInt64LittleEndian(block[(j * 8)..]);
            }
        }

        return table;
    }
}
