using System.Security.Cryptography;
using System.Text;

namespace Backup.Core.Crypto;

/// <summary>
/// What unlocks a repository: a password (stretched with PBKDF2-SHA256) or the bytes of a key file (at least
/// 32 random bytes, expanded with HKDF). The secret is held only in memory, never logged or shown.
/// </summary>
public sealed class RepositoryCredentials : IDisposable
{
    private readonly byte[] _secret;

    private RepositoryCredentials(byte[] secret, bool isKeyFile)
    {
        _secret = secret;
        IsKeyFile = isKeyFile;
    }

    /// <summary>Whether these are key-file bytes rather than a password.</summary>
    public bool IsKeyFile { get; }

    internal ReadOnlySpan<byte> Secret => _secret;

    /// <summary>Credentials from a password (UTF-8 encoded). An empty password is refused.</summary>
    public static RepositoryCredentials FromPassword(string password)
    {
        if (string.IsNullOrEmpty(password))
        {
            throw new ArgumentException("The repository password is empty; give a non-empty password.", nameof(password));
        }

        return new RepositoryCredentials(Encoding.UTF8.GetBytes(password), isKeyFile: false);
    }

    /// <summary>Credentials from the contents of a key file (at least 32 bytes).</summary>
    public static RepositoryCredentials FromKeyFile(ReadOnlySpan<byte> keyFileBytes)
    {
        if (keyFileBytes.Length < 32)
        {
            throw new ArgumentException($"A key file must hold at least 32 bytes (this one has {keyFileBytes.Length}); create one with RepositoryCredentials.GenerateKeyFile.", nameof(keyFileBytes));
        }

        return new RepositoryCredentials(keyFileBytes.ToArray(), isKeyFile: true);
    }

    /// <summary>Makes the contents of a new key file: 64 random bytes.</summary>
    public static byte[] GenerateKeyFile() => RandomNumberGenerator.GetBytes(64);

    /// <summary>Never shows the secret.</summary>
    public override string ToString() => IsKeyFile ? "key file credentials" : "password credentials";

    /// <inheritdoc />
    public void Dispose() => CryptographicOperations.ZeroMemory(_secret);
}
