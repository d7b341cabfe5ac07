using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Backup.Core.Crypto;

/// <summary>How a key object's wrapping key is derived from credentials; the parameters are stored with it.</summary>
public sealed record KeyDerivation
{
    /// <summary>PBKDF2 with HMAC-SHA256 over a password.</summary>
    public const string Pbkdf2Sha256 = "pbkdf2-sha256";

    /// <summary>HKDF-SHA256 over key-file bytes (already random, so no stretching is needed).</summary>
    public const string HkdfSha256 = "hkdf-sha256";

    /// <summary>The fewest PBKDF2 iterations accepted (OWASP's 2023 figure for PBKDF2-HMAC-SHA256).</summary>
    public const int MinimumIterations = 600_000;

    /// <summary>The lanes new password keys split their iterations across.</summary>
    public const int DefaultLanes = 4;

    /// <summary>The most lanes a stored key may name.</summary>
    public const int MaximumLanes = 64;

    /// <summary>The algorithm name.</summary>
    public required string Algorithm { get; init; }

    /// <summary>PBKDF2 iterations; 0 for HKDF.</summary>
    public int Iterations { get; init; }

    /// <summary>
    /// For PBKDF2: how many independent computations share <see cref="Iterations"/> (0 for the single PBKDF2 of older
    /// keys). A guess still costs every iteration, but a machine opening the repository runs the lanes on its cores at
    /// once, so each command waits a fraction as long for the key.
    /// </summary>
    public int Lanes { get; init; }

    /// <summary>The random salt.</summary>
    public required byte[] Salt { get; init; }

    /// <summary>New parameters suited to <paramref name="credentials"/>.</summary>
    public static KeyDerivation For(RepositoryCredentials credentials, int iterations = MinimumIterations)
    {
        if (!credentials.IsKeyFile && iterations < MinimumIterations)
        {
            throw new ArgumentOutOfRangeException(nameof(iterations), iterations, $"PBKDF2 needs at least {MinimumIterations} iterations.");
        }

        return credentials.IsKeyFile
            ? new KeyDerivation { Algorithm = HkdfSha256, Salt = RandomNumberGenerator.GetBytes(32) }
            : new KeyDerivation { Algorithm = Pbkdf2Sha256, Iterations = RoundUp(iterations, DefaultLanes), Lanes = DefaultLanes, Salt = RandomNumberGenerator.GetBytes(32) };
    }

    /// <summary>Whether these parameters can be used with <paramref name="credentials"/> (a password cannot open a key-file key).</summary>
    public bool Accepts(RepositoryCredentials credentials) =>
        credentials.IsKeyFile ? Algorithm == HkdfSha256 : Algorithm == Pbkdf2Sha256;

    /// <summary>Derives the 32-byte wrapping key.</summary>
    /// <exception cref="InvalidDataException">The stored parameters are unknown or too weak.</exception>
    public byte[] DeriveKey(RepositoryCredentials credentials)
    {
        switch (Algorithm)
        {
            case Pbkdf2Sha256 when Iterations < MinimumIterations:
                throw new InvalidDataException($"A key uses {Iterations} PBKDF2 iterations, fewer than the {MinimumIterations} required; it may have been tampered with.");
            case Pbkdf2Sha256 when Lanes is 0 or 1:
                var single = new byte[32];
                Pbkdf2.Derive(credentials.Secret, Salt, Iterations, single);
                return single;
            case Pbkdf2Sha256 when Lanes is < 0 or > MaximumLanes || Iterations % Lanes != 0:
                throw new InvalidDataException($"A key splits {Iterations} PBKDF2 iterations into {Lanes} lanes, which is not a whole number of iterations per lane from 1 to {MaximumLanes} lanes.");
            case Pbkdf2Sha256:
                return DeriveLanes(credentials);
            case HkdfSha256:
                var key = new byte[32];
                HKDF.DeriveKey(HashAlgorithmName.SHA256, credentials.Secret, key, Salt, "backup-sdk key file"u8);
                return key;
            default:
                throw new InvalidDataException($"A key uses key derivation '{Algorithm}', which this version does not know.");
        }
    }

    private static int RoundUp(int value, int multiple) => checked((value + multiple - 1) / multiple * multiple);

    /// <summary>
    /// Lane i is PBKDF2-HMAC-SHA256(secret, salt || BE32(i), iterations / lanes, 32 bytes); the key is the SHA-256 of a
    /// label and every lane in order, so a guess must compute them all (the same total as one PBKDF2 of all iterations).
    /// </summary>
    private byte[] DeriveLanes(RepositoryCredentials credentials)
    {
        var lanes = new byte[Lanes * 32];
        Parallel.For(0, Lanes, lane =>
        {
            var salt = new byte[Salt.Length + 4];
            Salt.CopyTo(salt, 0);
            BinaryPrimitives.WriteInt32BigEndian(salt.AsSpan(Salt.Length), lane);
            Pbkdf2.Derive(credentials.Secret, salt, Iterations / Lanes, lanes.AsSpan(lane * 32, 32));
        });

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData("backup-sdk pbkdf2 lanes"u8);
        hash.AppendData(lanes);
        CryptographicOperations.ZeroMemory(lanes);
        return hash.GetHashAndReset();
    }
}
