using System.Security.Cryptography;

namespace Backup.Core.Crypto;

/// <summary>
/// The repository's random secret, made once at init and stored only wrapped by password- or key-file-derived
/// keys: 32 bytes for encryption, 32 for keyed blob IDs and 32 for the chunker's gear table.
/// </summary>
internal sealed class MasterKey : IDisposable
{
    /// <summary>The size of the serialised key material.</summary>
    public const int Size = 96;

    private readonly byte[] _material;

    private MasterKey(byte[] material) => _material = material;

    /// <summary>The AES-256-GCM key.</summary>
    public ReadOnlySpan<byte> EncryptionKey => _material.AsSpan(0, 32);

    /// <summary>The HMAC-SHA256 key for blob IDs.</summary>
    public ReadOnlySpan<byte> IdKey => _material.AsSpan(32, 32);

    /// <summary>The secret that keys the chunker's gear table.</summary>
    public ReadOnlySpan<byte> ChunkerSecret => _material.AsSpan(64, 32);

    /// <summary>All 96 bytes, for wrapping.</summary>
    internal ReadOnlySpan<byte> Material => _material;

    /// <summary>Makes a new random master key.</summary>
    public static MasterKey Generate() => new(RandomNumberGenerator.GetBytes(Size));

    /// <summary>Restores a master key from its 96 bytes.</summary>
    internal static MasterKey FromMaterial(ReadOnlySpan<byte> material)
    {
        if (material.Length != Size)
        {
            throw new InvalidDataException($"Master key material is {material.Length} bytes, not {Size}.");
        }

        return new MasterKey(material.ToArray());
    }

    /// <inheritdoc />
    public void Dispose() => CryptographicOperations.ZeroMemory(_material);
}
