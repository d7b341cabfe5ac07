using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Backup.Core.Crypto;

/// <summary>How a key object's wrapping key is derived from credentials; the parameters are stored with it.</summary>
internal sealed record KeyDerivation
{
    /// <summary>PBKDF2 with HMAC-SHA256 over a password.</summary>
    public const string Pbkdf2Sha256 = "pbkdf2-sha256";

    /// <summary>HKDF-SHA256 over key-file bytes (already random, so no stretching is needed).</summary>
    public const string HkdfSha256 = "hkdf-sha256";

    /// <summary>Argon2id (RFC 9106) over a password, with libsodium; what new password keys use where libsodium is available.</summary>
    public const string Argon2idAlgorithm = "argon2id";

    /// <summary>The fewest PBKDF2 iterations accepted (OWASP's 2023 figure for PBKDF2-HMAC-SHA256).</summary>
    public const int MinimumIterations = 600_000;

    /// <summary>
    /// The most PBKDF2 iterations a key may name (ten times the minimum): a key object asking for more is skipped as
    /// tampered, so no stored key can make opening the repository take more than a few seconds.
    /// </summary>
    internal const int MaximumIterations = 6_000_000;

    /// <summary>The lanes new password keys split their iterations across.</summary>
    public const int DefaultLanes = 4;

    /// <summary>The most lanes a stored key may name.</summary>
    public const int MaximumLanes = 64;

    /// <summary>
    /// Argon2id passes of new keys (t = 12 over m = 32 MiB). Against the first keys' 3 passes over 64 MiB (RFC 9106's
    /// second recommended option), a guess costs twice the computation (t × m) and the same memory held over time
    /// (t × m², what bounds an attacker limited by memory); deriving takes about 15% longer here (half the pages to
    /// fault in), and every password open holds half the memory.
    /// </summary>
    internal const int Argon2idPasses = 12;

    /// <summary>Argon2id memory of new keys in KiB (32 MiB).</summary>
    internal const int Argon2idMemoryKiB = 32 * 1024;

    /// <summary>The fewest Argon2id passes a key may name.</summary>
    internal const int MinimumArgon2idPasses = 3;

    /// <summary>The least Argon2id memory a key may name, in KiB (32 MiB).</summary>
    internal const int MinimumArgon2idMemoryKiB = 32 * 1024;

    /// <summary>
    /// The least passes times KiB (t × m) a key may name: that of the first keys (t = 3, m = 64 MiB), so every key
    /// written so far opens and nothing cheaper to guess for an attacker limited by computation does.
    /// </summary>
    internal const long MinimumArgon2idWork = 3L * 64 * 1024;

    /// <summary>
    /// The least passes times KiB squared (t × m²) a key may name: that of the first keys, so nothing cheaper to guess
    /// for an attacker limited by memory opens either.
    /// </summary>
    internal const long MinimumArgon2idMemoryWork = 3L * 64 * 1024 * 64 * 1024;

    /// <summary>
    /// Faulting in a derivation's memory costs about as much as this many passes over it (measured with libsodium on
    /// the 2-core VM of benchmarks/README.md: 57 ms for 6 passes over 32 MiB, 82 ms for 3 over 64 MiB, 97 ms for 12
    /// over 32 MiB), so an opener's time goes as (t + this) × m.
    /// </summary>
    private const double Argon2idFaultPasses = 3.5;

    /// <summary>The most Argon2id passes a key may name.</summary>
    internal const int MaximumArgon2idPasses = 12;

    /// <summary>The most Argon2id memory a key may name, in KiB (256 MiB): a key cannot make an open exhaust a small machine.</summary>
    internal const int MaximumArgon2idMemoryKiB = 256 * 1024;

    /// <summary>The algorithm name.</summary>
    public required string Algorithm { get; init; }

    /// <summary>PBKDF2 iterations, or Argon2id passes (t); 0 for HKDF.</summary>
    public int Iterations { get; init; }

    /// <summary>
    /// For PBKDF2: how many independent computations share <see cref="Iterations"/> (0 for the single PBKDF2 of older
    /// keys). A guess still costs every iteration, but a machine opening the repository runs the lanes on its cores at
    /// once, so each command waits a fraction as long for the key. For Argon2id: its parallelism p, always 1.
    /// </summary>
    public int Lanes { get; init; }

    /// <summary>For Argon2id: the memory each derivation fills, in KiB (m); 0 otherwise.</summary>
    public int MemoryKiB { get; init; }

    /// <summary>The random salt (32 bytes; 16 for Argon2id, libsodium's size).</summary>
    public required byte[] Salt { get; init; }

    /// <summary>
    /// New parameters suited to <paramref name="credentials"/>: HKDF for a key file; for a password Argon2id
    /// (t = 12, m = 32 MiB, p = 1) where libsodium is available, else PBKDF2 with <see cref="MinimumIterations"/>.
    /// </summary>
    public static KeyDerivation For(RepositoryCredentials credentials)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        if (credentials.IsKeyFile)
        {
            return new KeyDerivation { Algorithm = HkdfSha256, Salt = RandomNumberGenerator.GetBytes(32) };
        }

        return Argon2id.Native is null
            ? ForPbkdf2(credentials, MinimumIterations)
            : new KeyDerivation { Algorithm = Argon2idAlgorithm, Iterations = Argon2idPasses, MemoryKiB = Argon2idMemoryKiB, Lanes = 1, Salt = RandomNumberGenerator.GetBytes(Argon2id.SaltSize) };
    }

    /// <summary>New PBKDF2 parameters for a password key with <paramref name="iterations"/> in all (split into <see cref="DefaultLanes"/> lanes).</summary>
    public static KeyDerivation ForPbkdf2(RepositoryCredentials credentials, int iterations)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        if (credentials.IsKeyFile)
        {
            throw new ArgumentException("A key file is derived with HKDF, not PBKDF2.", nameof(credentials));
        }

        if (iterations is < MinimumIterations or > MaximumIterations)
        {
            throw new ArgumentOutOfRangeException(nameof(iterations), iterations, $"PBKDF2 needs {MinimumIterations} to {MaximumIterations} iterations.");
        }

        return new KeyDerivation { Algorithm = Pbkdf2Sha256, Iterations = RoundUp(iterations, DefaultLanes), Lanes = DefaultLanes, Salt = RandomNumberGenerator.GetBytes(32) };
    }

    /// <summary>Whether these parameters can be used with <paramref name="credentials"/> (a password cannot open a key-file key).</summary>
    public bool Accepts(RepositoryCredentials credentials) =>
        credentials.IsKeyFile ? Algorithm == HkdfSha256 : Algorithm is Pbkdf2Sha256 or Argon2idAlgorithm;

    /// <summary>
    /// Why a reader must not derive with these stored parameters (unknown, too weak, too expensive, malformed, or
    /// not computable on this machine), or null when they are fine. Checked before any work, so a tampered key object
    /// costs nothing.
    /// </summary>
    internal string? Problem()
    {
        if (Salt is null || Salt.Length < 16)
        {
            return "its salt is missing or shorter than 16 bytes";
        }

        switch (Algorithm)
        {
            case Pbkdf2Sha256 when Iterations < MinimumIterations:
                return $"it asks for {Iterations} PBKDF2 iterations, fewer than the {MinimumIterations} required (a downgraded copy)";
            case Pbkdf2Sha256 when Iterations > MaximumIterations:
                return $"it asks for {Iterations} PBKDF2 iterations, more than the {MaximumIterations} a reader computes";
            case Pbkdf2Sha256 when Lanes is < 0 or > MaximumLanes || (Lanes > 1 && Iterations % Lanes != 0):
                return $"it splits {Iterations} PBKDF2 iterations into {Lanes} lanes, which is not a whole number of iterations per lane from 1 to {MaximumLanes} lanes";
            case Pbkdf2Sha256:
                return null;
            case Argon2idAlgorithm when Iterations < MinimumArgon2idPasses || MemoryKiB < MinimumArgon2idMemoryKiB
                                        || (long)Iterations * MemoryKiB < MinimumArgon2idWork || (double)Iterations * MemoryKiB * MemoryKiB < MinimumArgon2idMemoryWork:
                return $"it asks for Argon2id with {Iterations} passes over {MemoryKiB} KiB, fewer passes, less memory or less work than the first keys' {MinimumArgon2idPasses} passes over {64 * 1024} KiB require (a downgraded copy)";
            case Argon2idAlgorithm when Iterations > MaximumArgon2idPasses || MemoryKiB > MaximumArgon2idMemoryKiB:
                return $"it asks for Argon2id with {Iterations} passes over {MemoryKiB} KiB, more than the {MaximumArgon2idPasses} passes over {MaximumArgon2idMemoryKiB} KiB a reader computes";
            case Argon2idAlgorithm when Lanes != 1:
                return $"it asks for Argon2id with {Lanes} lanes; only 1 is supported";
            case Argon2idAlgorithm when Salt.Length != Argon2id.SaltSize:
                return $"its Argon2id salt is {Salt.Length} bytes, not {Argon2id.SaltSize}";
            case Argon2idAlgorithm when Argon2id.Native is null:
                return "it uses Argon2id, which needs libsodium, and no usable libsodium was found on this machine";
            case Argon2idAlgorithm:
                return null;
            case HkdfSha256:
                return null;
            default:
                // The name is the key object's, so anyone's: it is shown only when it looks like an algorithm name.
                return Algorithm is { Length: > 0 and <= 32 } name && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '-')
                    ? $"it uses key derivation '{name}', which this version does not know"
                    : "it uses a key derivation this version does not know";
        }
    }

    /// <summary>
    /// What deriving costs an opener relative to a new password key (1): the larger of its time and its memory, so that
    /// an opener tries the cheap keys first, a key of the first parameters (twice the memory) after a new one, and a key
    /// added by someone else before the owner's only when it costs no more in either.
    /// </summary>
    internal double RelativeCost => Algorithm switch
    {
        Pbkdf2Sha256 => (double)Iterations / MinimumIterations,
        Argon2idAlgorithm => Math.Max(
            (Iterations + Argon2idFaultPasses) * MemoryKiB / ((Argon2idPasses + Argon2idFaultPasses) * Argon2idMemoryKiB),
            (double)MemoryKiB / Argon2idMemoryKiB),
        _ => 0,
    };

    /// <summary>Derives the 32-byte wrapping key.</summary>
    /// <exception cref="InvalidDataException">The stored parameters are unusable (see <see cref="Problem"/>).</exception>
    public byte[] DeriveKey(RepositoryCredentials credentials)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        if (Problem() is { } problem)
        {
            throw new InvalidDataException($"A key cannot be used: {problem}; it may have been tampered with.");
        }

        var key = new byte[32];
        switch (Algorithm)
        {
            case Pbkdf2Sha256 when Lanes is 0 or 1:
                Pbkdf2.Derive(credentials.Secret, Salt, Iterations, key);
                return key;
            case Pbkdf2Sha256:
                return DeriveLanes(credentials);
            case Argon2idAlgorithm:
                Argon2id.Native!.Derive(credentials.Secret, Salt, Iterations, MemoryKiB, key);
                return key;
            default:
                HKDF.DeriveKey(HashAlgorithmName.SHA256, credentials.Secret, key, Salt, "backup-sdk key file"u8);
                return key;
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
