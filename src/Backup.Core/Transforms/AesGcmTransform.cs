using System.Buffers;
using System.Security.Cryptography;

namespace Backup.Core.Transforms;

/// <summary>
/// AES-256-GCM authenticated encryption. Each object gets its own key, HMAC-SHA256(master, salt) with a random
/// 16-byte salt, and a random 12-byte nonce, so no (key, nonce) pair ever repeats however many objects a
/// repository holds. The object's associated data (its ID and transform header) is authenticated too.
/// Layout: salt (16) | nonce (12) | ciphertext | tag (16).
/// </summary>
internal sealed class AesGcmTransform : IStreamTransform, IDisposable
{
    /// <summary>The name recorded in stored objects.</summary>
    public const string TransformName = "aes-256-gcm";

    /// <summary>Bytes added to every object.</summary>
    public const int Overhead = SaltSize + NonceSize + TagSize;

    private const int SaltSize = 16;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly byte[] _key;

    /// <summary>Encrypts with <paramref name="key"/>, 32 bytes.</summary>
    public AesGcmTransform(ReadOnlySpan<byte> key)
    {
        if (key.Length != 32)
        {
            throw new ArgumentException("An AES-256-GCM key is 32 bytes.", nameof(key));
        }

        _key = key.ToArray();
    }

    /// <inheritdoc />
    public string Name => TransformName;

    /// <inheritdoc />
    public bool IsAuthenticatedEncryption => true;

    /// <inheritdoc />
    public bool TryEncode(ReadOnlySpan<byte> input, IBufferWriter<byte> output, in TransformContext context)
    {
        var destination = output.GetSpan(input.Length + Overhead)[..(input.Length + Overhead)];
        var salt = destination[..SaltSize];
        var nonce = destination.Slice(SaltSize, NonceSize);
        RandomNumberGenerator.Fill(destination[..(SaltSize + NonceSize)]);
        using (var aes = CreateCipher(salt))
        {
            aes.Encrypt(nonce, input, destination.Slice(SaltSize + NonceSize, input.Length), destination[^TagSize..], context.AssociatedData.Span);
        }

        output.Advance(destination.Length);
        return true;
    }

    /// <inheritdoc />
    public void Decode(ReadOnlySpan<byte> input, IBufferWriter<byte> output, in TransformContext context)
    {
        if (input.Length < Overhead)
        {
            throw new InvalidDataException($"The encrypted object is {input.Length} bytes, shorter than its {Overhead}-byte envelope.");
        }

        var length = input.Length - Overhead;
        if (length > context.MaxDecodedLength)
        {
            throw new InvalidDataException($"The encrypted object holds {length} bytes, more than the {context.MaxDecodedLength} allowed.");
        }

        var destination = output.GetSpan(length)[..length];
        using (var aes = CreateCipher(input[..SaltSize]))
        {
            try
            {
                aes.Decrypt(input.Slice(SaltSize, NonceSize), input.Slice(SaltSize + NonceSize, length), input[^TagSize..], destination, context.AssociatedData.Span);
            }
            catch (AuthenticationTagMismatchException ex)
            {
                throw new InvalidDataException("The object failed authentication: it was altered, damaged, or encrypted with another key.", ex);
            }
        }

        output.Advance(length);
    }

    /// <inheritdoc />
    public void Dispose() => CryptographicOperations.ZeroMemory(_key);

    private AesGcm CreateCipher(ReadOnlySpan<byte> salt)
    {
        Span<byte> subkey = stackalloc byte[32];
        HMACSHA256.HashData(_key, salt, subkey);
        var aes = new AesGcm(subkey, TagSize);
        CryptographicOperations.ZeroMemory(subkey);
        return aes;
    }

}
