namespace Backup.Core.Repository.Keys;

/// <summary>One stored key (<c>keys/ID</c>): the master key wrapped by a key derived from one password or key file.</summary>
internal sealed record KeyObject
{
    /// <summary>The key object's version.</summary>
    public int Version { get; init; } = 1;

    /// <summary>When the key was added.</summary>
    public DateTimeOffset Created { get; init; }

    /// <summary>The host that added it.</summary>
    public string? Hostname { get; init; }

    /// <summary>The user that added it.</summary>
    public string? Username { get; init; }

    /// <summary>A free-form label ("laptop", "ci", …).</summary>
    public string? Label { get; init; }

    /// <summary>How the wrapping key is derived.</summary>
    public required Crypto.KeyDerivation Kdf { get; init; }

    /// <summary>The master key, AES-256-GCM-encrypted under the wrapping key, bound to the repository ID.</summary>
    public required byte[] Data { get; init; }
}
