using System.Runtime.InteropServices;

namespace Backup.Core.Crypto;

/// <summary>
/// Argon2id (RFC 9106, version 0x13) from libsodium's <c>crypto_pwhash_argon2id</c>: the libsodium shipped beside the
/// application (the <c>libsodium</c> package's native build for the platform), else the system's.
/// </summary>
/// <remarks>libsodium computes one lane (p = 1); that is the only parallelism a key may name.</remarks>
internal sealed unsafe class Argon2id
{
    /// <summary>The salt length crypto_pwhash requires.</summary>
    public const int SaltSize = 16;

    // int crypto_pwhash_argon2id(unsigned char *out, unsigned long long outlen, const char *passwd,
    //     unsigned long long passwdlen, const unsigned char *salt, unsigned long long opslimit, size_t memlimit, int alg)
    private readonly delegate* unmanaged<byte*, ulong, byte*, ulong, byte*, ulong, nuint, int, int> _pwhash;

    private const int AlgorithmArgon2id13 = 2;

    private Argon2id(delegate* unmanaged<byte*, ulong, byte*, ulong, byte*, ulong, nuint, int, int> pwhash) => _pwhash = pwhash;

    /// <summary>libsodium's Argon2id, or null when this machine has no usable libsodium (new password keys then use PBKDF2).</summary>
    public static Argon2id? Native { get; } = TryLoad();

    /// <summary>Derives <paramref name="destination"/>.Length bytes from <paramref name="password"/>.</summary>
    /// <exception cref="InsufficientMemoryException">libsodium could not allocate <paramref name="memoryKiB"/>.</exception>
    public void Derive(ReadOnlySpan<byte> password, ReadOnlySpan<byte> salt, int iterations, int memoryKiB, Span<byte> destination)
    {
        if (salt.Length != SaltSize)
        {
            throw new ArgumentException($"Argon2id needs a {SaltSize}-byte salt.", nameof(salt));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(memoryKiB, 8);
        fixed (byte* output = destination)
        fixed (byte* passwd = password)
        fixed (byte* s = salt)
        {
            var result = _pwhash(output, (ulong)destination.Length, passwd, (ulong)password.Length, s, (ulong)iterations, (nuint)memoryKiB * 1024, AlgorithmArgon2id13);
            if (result != 0)
            {
                // Parameters are checked before the call, so the one failure left is the allocation.
                throw new InsufficientMemoryException($"Argon2id could not allocate {memoryKiB / 1024} MiB for a key derivation.");
            }
        }
    }

    private static Argon2id? TryLoad()
    {
        // The packaged build first (beside the application, or under runtimes/<rid>/native for a framework-dependent
        // app); then the system's, except on Windows, where a bare name would search the current directory and PATH.
        // A native (AOT) executable has no assembly directory: its libsodium lies beside it, named in full.
        var beside = Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "libsodium.dll" : OperatingSystem.IsMacOS() ? "libsodium.dylib" : "libsodium.so");
        var searches = new List<(string Name, DllImportSearchPath? Path)>
        {
            ("libsodium", DllImportSearchPath.AssemblyDirectory),
            (beside, null),
        };
        if (!OperatingSystem.IsWindows())
        {
            searches.Add(("libsodium.so.26", null));
            searches.Add(("libsodium.so.23", null));
            searches.Add(("libsodium.dylib", null));
        }

        foreach (var (name, path) in searches)
        {
            nint library;
            var loaded = path is { } searchPath
                ? NativeLibrary.TryLoad(name, typeof(Argon2id).Assembly, searchPath, out library)
                : NativeLibrary.TryLoad(name, out library);
            if (!loaded)
            {
                continue;
            }

            if (NativeLibrary.TryGetExport(library, "sodium_init", out var init)
                && NativeLibrary.TryGetExport(library, "crypto_pwhash_argon2id", out var pwhash)
                && ((delegate* unmanaged<int>)init)() >= 0)
            {
                var candidate = new Argon2id((delegate* unmanaged<byte*, ulong, byte*, ulong, byte*, ulong, nuint, int, int>)pwhash);
                if (candidate.MatchesReferenceVector())
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    /// <summary>Checks one small known answer, so a library that computes something else is never used to wrap a key.</summary>
    private bool MatchesReferenceVector()
    {
        Span<byte> actual = stackalloc byte[32];
        try
        {
            Derive("password"u8, "somesaltsomesalt"u8, 2, 64, actual);
        }
        catch (InsufficientMemoryException)
        {
            return false;
        }

        return Convert.ToHexStringLower(actual) == ReferenceOutput;
    }

    // Argon2id v1.3, t = 2, m = 64 KiB, p = 1, password "password", salt "somesaltsomesalt", 32 bytes, as the
    // reference implementation (libargon2's argon2id_hash_raw) computes it.
    private const string ReferenceOutput = "1a98fba8e6394425c9bdc333a9c750aaf811df070f5fb4a5788e1cf4db5793a1";
}
