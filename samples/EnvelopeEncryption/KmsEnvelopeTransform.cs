using System.Buffers;
using System.Security.Cryptography;
using Backup.Core.Transforms;

namespace EnvelopeEncryption;

/// <summary>
/// AES-256-GCM under a per-repository data key that only the KMS can unwrap: the repository's own password no longer
/// suffices to read it, and disabling the KMS key makes every copy of the data unreadable (crypto-shredding).
/// Like the repository's own encryption, each object gets a subkey HMAC-SHA256(dataKey, salt) with a random salt, so
/// random nonces never repeat under one key however many objects there are. Layout: salt (16) | nonce (12) | ciphertext | tag (16).
/// </summary>
public sealed class KmsEnvelopeTransform : IStreamTransform, IDisposable
{
    /// <summary>The name recorded in the config and in every object; a new encoding gets a new name ("-v2").</summary>
    public const string TransformName = "kms-envelope-v1";

    private const int SaltSize = 16;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private const int Overhead = SaltSize + NonceSize + TagSize;
    private readonly byte[] _dataKey;

    /// <summary>Encrypts with <paramref name="dataKey"/> (32 bytes), which is copied.</summary>
    public KmsEnvelopeTransform(ReadOnlySpan<byte> dataKey)
    {
        if (dataKey.Length != 32)
        {
            throw new ArgumentException("The data key is 32 bytes.", nameof(dataKey));
        }

        _dataKey = dataKey.ToArray();
    }

    /// <inheritdoc />
    public string Name => TransformName;

    /// <inheritdoc />
    public bool IsAuthenticatedEncryption => true;

    /// <inheritdoc />
    public bool TryEncode(ReadOnlySpan<byte> input, IBufferWriter<byte> output, in TransformContext context)
    {
        var destination = output.GetSpan(input.Length + Overhead)[..(input.Length + Overhead)];
        RandomNumberGenerator.Fill(destination[..(SaltSize + NonceSize)]);
        using (var aes = CreateCipher(destination[..SaltSize]))
        {
            aes.Encrypt(destination.Slice(SaltSize, NonceSize), input, destination.Slice(SaltSize + NonceSize, input.Length), destination[^TagSize..], context.AssociatedData.Span);
        }

        output.Advance(destination.Length);
        return true; // encryption always applies
    }

    /// <inheritdoc />
    public void Decode(ReadOnlySpan<byte> input, IBufferWriter<byte> output, in TransformContext context)
    {
        var length = input.Length - Overhead;
        if (length < 0 || length > context.MaxDecodedLength)
        {
            throw new InvalidDataException($"The {TransformName} object is {input.Length} bytes, which no valid object is.");
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
                throw new InvalidDataException($"The object failed {TransformName} authentication: it was altered, or encrypted with another data key.", ex);
            }
        }

        output.Advance(length);
    }

    /// <inheritdoc />
    public void Dispose() => CryptographicOperations.ZeroMemory(_dataKey);

    private AesGcm CreateCipher(ReadOnlySpan<byte> salt)
    {
        Span<byte> subkey = stackalloc byte[32];
        HMACSHA256.HashData(_dataKey, salt, subkey);
        var aes = new AesGcm(subkey, TagSize);
        CryptographicOperations.ZeroMemory(subkey);
        return aes;
    }
}
