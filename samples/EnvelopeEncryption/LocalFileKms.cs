using System.Security.Cryptography;
using System.Text;

namespace EnvelopeEncryption;

/// <summary>
/// FAKE KMS, FOR THIS SAMPLE AND TESTS ONLY: the key-encryption key is 32 random bytes in a local file, so anyone who
/// can read that file can unwrap every data key. It stands in for a cloud KMS (none is reachable here); a real
/// deployment implements <see cref="IKeyManagementService"/> over AWS KMS, Azure Key Vault or Google Cloud KMS.
/// </summary>
public sealed class LocalFileKms : IKeyManagementService
{
    private readonly byte[] _keyEncryptionKey;

    /// <summary>Uses the key-encryption key in <paramref name="path"/>, creating it (readable by its owner only) when missing.</summary>
    public LocalFileKms(string path)
    {
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using var file = new FileStream(path, options);
            file.Write(RandomNumberGenerator.GetBytes(32));
        }

        _keyEncryptionKey = File.ReadAllBytes(path);
        if (_keyEncryptionKey.Length != 32)
        {
            throw new InvalidDataException($"The key-encryption key file {path} holds {_keyEncryptionKey.Length} bytes, not 32.");
        }

        KeyId = "local-file-" + Convert.ToHexStringLower(SHA256.HashData(_keyEncryptionKey))[..16];
    }

    /// <summary>The key's ID: a fingerprint of it, so a wrapped key names the file it needs.</summary>
    public string KeyId { get; }

    /// <inheritdoc />
    public Task<WrappedKey> WrapKeyAsync(ReadOnlyMemory<byte> dataKey, string encryptionContext, CancellationToken cancellationToken)
    {
        // nonce (12) | wrapped key | tag (16); the context is authenticated, so a key wrapped for one repository
        // does not unwrap for another.
        var output = new byte[12 + dataKey.Length + 16];
        RandomNumberGenerator.Fill(output.AsSpan(0, 12));
        using var aes = new AesGcm(_keyEncryptionKey, 16);
        aes.Encrypt(output.AsSpan(0, 12), dataKey.Span, output.AsSpan(12, dataKey.Length), output.AsSpan(^16), Encoding.UTF8.GetBytes(encryptionContext));
        return Task.FromResult(new WrappedKey(KeyId, output));
    }

    /// <inheritdoc />
    public Task<byte[]> UnwrapKeyAsync(WrappedKey wrapped, string encryptionContext, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(wrapped);
        if (wrapped.KeyId != KeyId)
        {
            throw new CryptographicException($"The data key was wrapped by key '{wrapped.KeyId}'; this KMS holds key '{KeyId}'.");
        }

        if (wrapped.Ciphertext.Length < 12 + 16)
        {
            throw new CryptographicException("The wrapped data key is too short.");
        }

        var dataKey = new byte[wrapped.Ciphertext.Length - 12 - 16];
        using var aes = new AesGcm(_keyEncryptionKey, 16);
        aes.Decrypt(wrapped.Ciphertext.AsSpan(0, 12), wrapped.Ciphertext.AsSpan(12, dataKey.Length), wrapped.Ciphertext.AsSpan(^16), dataKey, Encoding.UTF8.GetBytes(encryptionContext));
        return Task.FromResult(dataKey);
    }
}
