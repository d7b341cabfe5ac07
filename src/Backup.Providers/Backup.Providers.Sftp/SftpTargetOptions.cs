namespace Backup.Providers.Sftp;

/// <summary>Where and how <see cref="SftpTarget"/> connects. <see cref="ToString"/> never shows the password or key.</summary>
public sealed record SftpTargetOptions
{
    /// <summary>The server's host name or address.</summary>
    public required string Host { get; init; }

    /// <summary>The server's SSH port.</summary>
    public int Port { get; init; } = 22;

    /// <summary>The user to log in as.</summary>
    public required string Username { get; init; }

    /// <summary>The directory on the server that holds the repository (absolute, or relative to the login directory).</summary>
    public required string RootPath { get; init; }

    /// <summary>
    /// The server's host key fingerprint as OpenSSH prints it (<c>ssh-keygen -lf key.pub</c>): <c>SHA256:</c> and
    /// unpadded base64, of any of the server's host keys (Ed25519, ECDSA or RSA: the target asks for each kind until one
    /// has it). Required: an unknown or changed key is refused, so a man in the middle cannot see the data.
    /// </summary>
    public required string HostKeyFingerprint { get; init; }

    /// <summary>The password, when logging in by password. Never logged or shown.</summary>
    public string? Password { get; init; }

    /// <summary>A private key (OpenSSH, PEM or PuTTY format), when logging in by key. Never logged or shown.</summary>
    public SftpPrivateKey? PrivateKey { get; init; }

    /// <summary>How long to wait for the connection and for each request.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Sends a keep-alive this often so idle connections through NAT survive; <see cref="TimeSpan.Zero"/> turns it off.</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The permissions of new objects: the owner's only (0600) by default, so other users of the server cannot copy a
    /// key object and guess its password offline. Directories the target creates get the same plus search where read
    /// is granted (0700 by default). A repository shared by a group names 0640 (group reads, directories 0750) or 0660.
    /// Setting them costs a request per object; a server without Unix permissions (it answers "unsupported") is not
    /// asked again.
    /// </summary>
    public UnixFileMode ObjectPermissions { get; init; } = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Throws <see cref="ArgumentException"/> naming the bad setting.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Host))
        {
            throw new ArgumentException($"{nameof(Host)} is required.");
        }

        if (Port is < 1 or > 65535)
        {
            throw new ArgumentException($"{nameof(Port)} must be 1-65535 (was {Port}).");
        }

        if (string.IsNullOrWhiteSpace(Username))
        {
            throw new ArgumentException($"{nameof(Username)} is required.");
        }

        if (string.IsNullOrWhiteSpace(RootPath))
        {
            throw new ArgumentException($"{nameof(RootPath)} is required.");
        }

        if (string.IsNullOrWhiteSpace(HostKeyFingerprint) || !HostKeyFingerprint.StartsWith("SHA256:", StringComparison.Ordinal))
        {
            throw new ArgumentException(
                $"{nameof(HostKeyFingerprint)} is required and must be a SHA256 fingerprint as OpenSSH prints it ('SHA256:' followed by base64).");
        }

        const UnixFileMode allowed = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;
        if ((ObjectPermissions & ~allowed) != 0 || !ObjectPermissions.HasFlag(UnixFileMode.UserRead | UnixFileMode.UserWrite))
        {
            throw new ArgumentException(
                $"{nameof(ObjectPermissions)} must let the owner read and write and may add only read and write for group and others (such as 0600, 0640 or 0660); {Convert.ToString((int)ObjectPermissions, 8)} does not.");
        }

        if (Password is null && PrivateKey is null)
        {
            throw new ArgumentException($"Give a {nameof(Password)} or a {nameof(PrivateKey)}.");
        }
    }

    /// <summary>Describes the connection without secrets.</summary>
    public override string ToString() => $"{Location} (auth: {(PrivateKey is not null ? "private key" : "password")})";

    /// <summary>
    /// The repository URL, as the tool takes it: a path relative to the login directory is written <c>/~/PATH</c>,
    /// since <c>sftp://HOST/PATH</c> names the absolute path and an operator copying it would open another directory.
    /// </summary>
    internal string Location
    {
        get
        {
            var root = RootPath.Length > 1 ? RootPath.TrimEnd('/') : RootPath;
            return $"sftp://{Username}@{Host}:{Port}/{(root.StartsWith('/') ? root.TrimStart('/') : "~/" + root)}";
        }
    }
}

/// <summary>A private key for <see cref="SftpTargetOptions.PrivateKey"/>, from a file or from bytes, with an optional passphrase.</summary>
public sealed class SftpPrivateKey
{
    private SftpPrivateKey(string? path, byte[]? bytes, string? passphrase)
    {
        FilePath = path;
        Bytes = bytes;
        Passphrase = passphrase;
    }

    internal string? FilePath { get; }

    internal byte[]? Bytes { get; }

    internal string? Passphrase { get; }

    /// <summary>Reads the key from <paramref name="path"/> when connecting.</summary>
    public static SftpPrivateKey FromFile(string path, string? passphrase = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return new SftpPrivateKey(path, null, passphrase);
    }

    /// <summary>Uses the key in <paramref name="keyBytes"/> (the key file's contents), copied.</summary>
    public static SftpPrivateKey FromBytes(ReadOnlySpan<byte> keyBytes, string? passphrase = null)
    {
        if (keyBytes.IsEmpty)
        {
            throw new ArgumentException("The private key is empty.", nameof(keyBytes));
        }

        return new SftpPrivateKey(null, keyBytes.ToArray(), passphrase);
    }

    /// <summary>Names the key's source, never its contents or passphrase.</summary>
    public override string ToString() => FilePath is not null ? $"private key file '{FilePath}'" : "private key (bytes)";
}
