using Azure.Core;
using Azure.Storage.Blobs;

namespace Backup.Providers.Azure;

/// <summary>
/// Where and how <see cref="AzureBlobTarget"/> stores blobs: a connection string, or a service URI with a
/// <see cref="TokenCredential"/>. <see cref="ToString"/> never shows the connection string or credential.
/// </summary>
public sealed record AzureBlobTargetOptions
{
    /// <summary>A storage connection string (account key or SAS); never logged or shown. Give this or <see cref="ServiceUri"/>.</summary>
    public string? ConnectionString { get; init; }

    /// <summary>The blob service URI (<c>https://account.blob.core.windows.net</c>), used with <see cref="Credential"/>.</summary>
    public Uri? ServiceUri { get; init; }

    /// <summary>An Entra ID credential for <see cref="ServiceUri"/> (e.g. a managed identity).</summary>
    public TokenCredential? Credential { get; init; }

    /// <summary>The container. It must exist unless <see cref="CreateContainer"/> is set.</summary>
    public required string Container { get; init; }

    /// <summary>Creates the container on first use when missing (needs the permission to).</summary>
    public bool CreateContainer { get; init; }

    /// <summary>A blob name prefix for this repository, e.g. <c>backups/host1</c>; empty for the container root.</summary>
    public string Prefix { get; init; } = string.Empty;

    /// <summary>Blobs up to this size go up in one Put Blob request; larger ones in blocks of <see cref="BlockSize"/>.</summary>
    public int SingleUploadThreshold { get; init; } = 8 * 1024 * 1024;

    /// <summary>The block size for larger blobs.</summary>
    public int BlockSize { get; init; } = 8 * 1024 * 1024;

    /// <summary>How many blocks of one blob upload at the same time.</summary>
    public int BlockConcurrency { get; init; } = 4;

    /// <summary>A time-based immutability policy for new packs and snapshots (needs version-level immutability on the container); <see langword="null"/> for none.</summary>
    public AzureImmutabilityOptions? Immutability { get; init; }

    /// <summary>Adjusts the client options last (retries, transport, test hooks).</summary>
    public Action<BlobClientOptions>? ConfigureClient { get; init; }

    /// <summary>
    /// Accept a plain <c>http://</c> blob endpoint on another machine, where anyone on the path can read the requests
    /// (a SAS travels in every URL) and alter the answers. The local machine (the Azurite emulator) is always allowed.
    /// </summary>
    public bool AllowInsecureHttp { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the bad setting.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Container))
        {
            throw new ArgumentException($"{nameof(Container)} is required.");
        }

        if ((ConnectionString is null) == (ServiceUri is null))
        {
            throw new ArgumentException($"Give either {nameof(ConnectionString)} or {nameof(ServiceUri)} (with {nameof(Credential)}).");
        }

        if (ServiceUri is not null && Credential is null)
        {
            throw new ArgumentException($"{nameof(ServiceUri)} needs a {nameof(Credential)}.");
        }

        if (SingleUploadThreshold < 1 || BlockSize < 1 || BlockConcurrency < 1)
        {
            throw new ArgumentException($"{nameof(SingleUploadThreshold)}, {nameof(BlockSize)} and {nameof(BlockConcurrency)} must be positive.");
        }

        if (Prefix.StartsWith('/') || Prefix.Contains('\\', StringComparison.Ordinal))
        {
            throw new ArgumentException($"{nameof(Prefix)} must be relative and use '/' separators.");
        }
    }

    /// <summary>Describes the target without secrets.</summary>
    public override string ToString() => $"azure blob container '{Container}' prefix '{Prefix}' ({(ConnectionString is not null ? "connection string" : ServiceUri!.GetLeftPart(UriPartial.Authority) + " with token credential")})";
}

/// <summary>A time-based immutability policy written with new blobs.</summary>
public sealed record AzureImmutabilityOptions
{
    /// <summary>How long each new blob stays immutable from the time it is written.</summary>
    public required TimeSpan RetainFor { get; init; }

    /// <summary>Locks the policy (it can then not be shortened or removed); unlocked policies can still be changed by an admin.</summary>
    public bool Locked { get; init; }

    /// <summary>Which keys get the policy: by default packs and snapshots.</summary>
    public IReadOnlyList<string> KeyPrefixes { get; init; } = ["data/", "snapshots/"];

    internal bool Applies(string key) => KeyPrefixes.Any(p => key.StartsWith(p, StringComparison.Ordinal));
}
