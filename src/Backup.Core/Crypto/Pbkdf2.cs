using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Backup.Core.Crypto;

/// <summary>
/// PBKDF2-HMAC-SHA256 with a 32-byte result, the same bytes as <see cref="Rfc2898DeriveBytes.Pbkdf2(ReadOnlySpan{byte}, ReadOnlySpan{byte}, Span{byte}, int, HashAlgorithmName)"/>.
/// </summary>
/// <remarks>
/// Every iteration is two SHA-256 compressions of one block each. The platform's PBKDF2 spends four times as long
/// around them as in them (a digest context copied, finished and wiped twice per iteration); with the system's
/// libcrypto at hand the iterations run on its block function directly (SHA extensions where the CPU has them), from
/// the inner and outer HMAC states computed once. An attacker's cost per guess is unchanged; the user's wait for
/// the key, at every command, is a fraction.
/// </remarks>
internal sealed unsafe class Pbkdf2
{
    private const int BlockSize = 64;
    private const int HashSize = 32;

    private static ReadOnlySpan<uint> InitialState => [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

    // void SHA256_Transform(SHA256_CTX *c, const unsigned char *data): one block into c->h[0..7], the context's first
    // 32 bytes; the rest of the context (counts, buffer) is not touched, so eight words of state suffice. It returns
    // within a fraction of a microsecond and never blocks, so the 1.2 million calls of a default key skip the runtime's
    // transition.
    private readonly delegate* unmanaged[SuppressGCTransition]<uint*, byte*, void> _transform;

    private Pbkdf2(delegate* unmanaged[SuppressGCTransition]<uint*, byte*, void> transform) => _transform = transform;

    /// <summary>The implementation on the system's libcrypto, or null when there is none (the platform's PBKDF2 serves then).</summary>
    public static Pbkdf2? Native { get; } = TryLoad();

    /// <summary>Derives 32 bytes into <paramref name="destination"/>, natively when possible.</summary>
    public static void Derive(ReadOnlySpan<byte> password, ReadOnlySpan<byte> salt, int iterations, Span<byte> destination)
    {
        if (Native is { } native)
        {
            native.DeriveNative(password, salt, iterations, destination);
        }
        else
        {
            Rfc2898DeriveBytes.Pbkdf2(password, salt, destination[..HashSize], iterations, HashAlgorithmName.SHA256);
        }
    }

    /// <summary>Derives 32 bytes on libcrypto's block function.</summary>
    public void DeriveNative(ReadOnlySpan<byte> password, ReadOnlySpan<byte> salt, int iterations, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, HashSize);

        // U1 = HMAC(P, S || INT(1)) has a message of any length: the platform computes that one.
        var saltAndIndex = new byte[salt.Length + 4];
        salt.CopyTo(saltAndIndex);
        BinaryPrimitives.WriteInt32BigEndian(saltAndIndex.AsSpan(salt.Length), 1);
        Span<byte> u = stackalloc byte[HashSize];
        HMACSHA256.HashData(password, saltAndIndex, u);

        Span<byte> key = stackalloc byte[BlockSize];
        key.Clear();
        if (password.Length > BlockSize)
        {
            SHA256.HashData(password, key);
        }
        else
        {
            password.CopyTo(key);
        }

        Span<uint> inner = stackalloc uint[8];
        Span<uint> outer = stackalloc uint[8];
        Span<uint> state = stackalloc uint[8];
        Span<byte> block = stackalloc byte[BlockSize];
        Span<byte> result = stackalloc byte[HashSize];
        try
        {
            PadState(key, 0x36, block, inner);
            PadState(key, 0x5c, block, outer);
            u.CopyTo(result);

            // Uj = HMAC(P, Uj-1): each hash is of 64 pad bytes plus 32 message bytes, so one padded block follows.
            block.Clear();
            block[HashSize] = 0x80;
            BinaryPrimitives.WriteUInt64BigEndian(block[56..], (BlockSize + HashSize) * 8);
            fixed (uint* s = state)
            fixed (byte* b = block)
            {
                for (var i = 1; i < iterations; i++)
                {
                    u.CopyTo(block);
                    inner.CopyTo(state);
                    _transform(s, b);
                    WriteBigEndian(state, block);
                    outer.CopyTo(state);
                    _transform(s, b);
                    WriteBigEndian(state, u);
                    for (var w = 0; w < HashSize; w += sizeof(ulong))
                    {
                        var x = BinaryPrimitives.ReadUInt64LittleEndian(result[w..]) ^ BinaryPrimitives.ReadUInt64LittleEndian(u[w..]);
                        BinaryPrimitives.WriteUInt64LittleEndian(result[w..], x);
                    }
                }
            }

            result.CopyTo(destination);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
            CryptographicOperations.ZeroMemory(block);
            CryptographicOperations.ZeroMemory(u);
            CryptographicOperations.ZeroMemory(result);
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(inner));
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(outer));
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(state));
        }
    }

    private static Pbkdf2? TryLoad()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        Span<byte> expected = stackalloc byte[HashSize];
        Span<byte> actual = stackalloc byte[HashSize];
        foreach (var name in new[] { "libcrypto.so.3", "libcrypto.so.1.1" })
        {
            if (NativeLibrary.TryLoad(name, out var library) && NativeLibrary.TryGetExport(library, "SHA256_Transform", out var transform))
            {
                var candidate = new Pbkdf2((delegate* unmanaged[SuppressGCTransition]<uint*, byte*, void>)transform);

                // The platform's PBKDF2 is the reference: a block function that does not reproduce it is not used.
                Rfc2898DeriveBytes.Pbkdf2("backup-sdk"u8, "salt"u8, expected, 3, HashAlgorithmName.SHA256);
                candidate.DeriveNative("backup-sdk"u8, "salt"u8, 3, actual);
                if (actual.SequenceEqual(expected))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    /// <summary>The SHA-256 state after the block <paramref name="key"/> XOR <paramref name="pad"/>.</summary>
    private void PadState(ReadOnlySpan<byte> key, byte pad, Span<byte> block, Span<uint> state)
    {
        for (var i = 0; i < BlockSize; i++)
        {
            block[i] = (byte)(key[i] ^ pad);
        }

        InitialState.CopyTo(state);
        fixed (uint* s = state)
        fixed (byte* b = block)
        {
            _transform(s, b);
        }
    }

    private static void WriteBigEndian(ReadOnlySpan<uint> state, Span<byte> destination)
    {
        for (var i = 0; i < 8; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination[(i * 4)..], state[i]);
        }
    }
}
