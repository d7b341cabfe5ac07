namespace EnvelopeEncryption;

/// <summary>
/// The two calls envelope encryption needs from a key management service (AWS KMS Encrypt/Decrypt, Azure Key Vault
/// wrapKey/unwrapKey, Google Cloud KMS): the key-encryption key never leaves the service, only data keys travel.
/// </summary>
public interface IKeyManagementService
{
    /// <summary>Wraps <paramref name="dataKey"/> under the service's key, bound to <paramref name="encryptionContext"/>.</summary>
    Task<WrappedKey> WrapKeyAsync(ReadOnlyMemory<byte> dataKey, string encryptionContext, CancellationToken cancellationToken);

    /// <summary>Unwraps a key <see cref="WrapKeyAsync"/> made with the same <paramref name="encryptionContext"/>; throws when it cannot.</summary>
    Task<byte[]> UnwrapKeyAsync(WrappedKey wrapped, string encryptionContext, CancellationToken cancellationToken);
}

/// <summary>A data key wrapped by a key management service, and the ID of the key that wrapped it.</summary>
/// <param name="KeyId">Which of the service's keys wrapped it (no ':' in it).</param>
/// <param name="Ciphertext">The wrapped data key.</param>
public sealed record WrappedKey(string KeyId, byte[] Ciphertext);
