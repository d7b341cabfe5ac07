using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Backup.Core.Storage;
using Renci.SshNet;
using Renci.SshNet.Common;
using Renci.SshNet.Sftp;

namespace Backup.Providers.Sftp;

/// <summary>
/// A target on an SFTP server (SSH.NET). Puts upload to a temporary name in the object's own directory and rename
/// it into place (posix-rename@openssh.com when the server has it, which replaces atomically), so readers see the
/// old object or the whole new one. The server's host key must match the configured fingerprint. One SSH connection
/// carries all concurrent requests; it is opened on first use and reopened lazily after it drops, and calls that
/// failed because of the drop throw a transient <see cref="BackupTargetException"/> for <see cref="RetryingTarget"/>.
/// </summary>
/// <remarks>
/// SSH.NET 2026 has async APIs for connect, open, read, write, list, stat, delete, mkdir and plain rename. Two calls
/// have none and run on the thread pool with <see cref="Task.Run(Action, CancellationToken)"/>: the posix rename
/// (<c>RenameFile(old, new, isPosix: true)</c>) and <c>Disconnect</c>/<c>Dispose</c> of a broken client.
/// </remarks>
public sealed class SftpTarget : IBackupTarget, IAsyncDisposable
{
    internal const string TempPrefix = ".backup-upload-";
    private const int MaxRetriesOnStaleConnection = 1;

    private readonly SftpTargetOptions _options;
    private readonly string _root;
    private readonly SemaphoreSlim _connectLock = new(1, 1);
    private readonly ConcurrentDictionary<string, bool> _knownDirectories = new(StringComparer.Ordinal);
    private SftpClient? _client;

    // The kind of host key (ed25519, ecdsa, rsa) that has the configured fingerprint, once a connection found it is
    // not the kind the client picks by itself; later connections ask for it alone.
    private string? _hostKeyFamily;
    private int _posixRename = -1; // -1 unknown, 0 unsupported, 1 supported (learned from the first rename)
    private bool _disposed;

    // SSH.NET takes a mode as the decimal number that reads like the octal one (600 for 0600).
    private readonly short _filePermissions;
    private readonly short _directoryPermissions;
    private bool _permissionsUnsupported;

    /// <summary>Creates the target; nothing connects until the first call.</summary>
    public SftpTarget(SftpTargetOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _root = options.RootPath.Length > 1 ? options.RootPath.TrimEnd('/') : options.RootPath;
        _filePermissions = ToSshNetMode(options.ObjectPermissions);
        _directoryPermissions = ToSshNetMode(DirectoryPermissionsFor(options.ObjectPermissions));
    }

    /// <inheritdoc />
    public string Description => $"SFTP target '{_options.Location}'";

    /// <summary>Whether the server offered posix-rename@openssh.com (known after the first put); <see langword="null"/> before.</summary>
    public bool? UsesPosixRename => _posixRename < 0 ? null : _posixRename == 1;

    /// <inheritdoc />
    public Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        var path = PathOf(key);
        return RunAsync(key, async (client, ct) =>
        {
            var directory = DirectoryOf(path);
            var temp = $"{directory}/{TempPrefix}{Guid.NewGuid():N}";
            try
            {
                await UploadAsync(client, directory, temp, content, ct).ConfigureAwait(false);
                ct.ThrowIfCancellationRequested();
                await RenameIntoPlaceAsync(client, temp, path, ct).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                await TryDeleteAsync(client, temp).ConfigureAwait(false);

                // SFTP (version 3, what OpenSSH speaks) has no status for a full disk: the server answers a plain
                // "Failure". Asking the file system how much room is left tells a full disk from other failures.
                if (ex is SftpException { StatusCode: StatusCode.Failure } && await IsOutOfSpaceAsync(client, directory, content.Length).ConfigureAwait(false))
                {
                    throw new StorageFullException(Description, overQuota: false, ex);
                }

                throw;
            }

            return true;
        }, "write", cancellationToken);
    }

    /// <summary>Whether the server's file system holding <paramref name="directory"/> has less room than <paramref name="needed"/> bytes (statvfs@openssh.com); false when it cannot say.</summary>
    private static async Task<bool> IsOutOfSpaceAsync(SftpClient client, string directory, long needed)
    {
        try
        {
            var status = await client.GetStatusAsync(directory, CancellationToken.None).ConfigureAwait(false);
            var unit = status.FileSystemBlockSize > 0 ? (long)status.FileSystemBlockSize : (long)status.BlockSize;
            return (long)status.AvailableBlocks * unit < needed + (64 * 1024);
        }
        catch (Exception ex) when (ex is SshException or SocketException or ObjectDisposedException or InvalidOperationException or NotSupportedException)
        {
            return false;
        }
    }

    /// <inheritdoc />
    public ValueTask<int> ReadAsync(string key, long offset, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        var path = PathOf(key);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        return new(RunAsync(key, async (client, ct) =>
        {
            // Opening the file is what tells a missing object from an empty range, so it is opened even for 0 bytes.
            using var stream = await client.OpenAsync(path, FileMode.Open, FileAccess.Read, ct).ConfigureAwait(false);
            stream.Seek(offset, SeekOrigin.Begin);
            var read = 0;
            int n;
            while (read < destination.Length && (n = await stream.ReadAsync(destination[read..], ct).ConfigureAwait(false)) > 0)
            {
                read += n;
            }

            return read;
        }, "read", cancellationToken));
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<BackupObjectInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        BackupKeys.ValidatePrefix(prefix);
        var slash = prefix.LastIndexOf('/');
        var start = slash < 0 ? string.Empty : prefix[..slash];
        var client = await GetClientAsync(cancellationToken).ConfigureAwait(false);
        var pending = new Stack<string>();
        pending.Push(start);
        while (pending.Count > 0)
        {
            var relative = pending.Pop();
            var directory = relative.Length == 0 ? _root : $"{_root}/{relative}";
            // Entries are passed on as the server sends them (a hundred at a time from OpenSSH), not gathered for the
            // whole directory first: a directory of many thousand objects on a slow link would otherwise be one step
            // of the listing, longer than RequestDeadlineTarget allows a step.
            var entries = client.ListDirectoryAsync(directory, cancellationToken).GetAsyncEnumerator(cancellationToken);
            await using var _ = entries.ConfigureAwait(false);
            while (true)
            {
                try
                {
                    if (!await entries.MoveNextAsync().ConfigureAwait(false))
                    {
                        break;
                    }
                }
                catch (SftpPathNotFoundException)
                {
                    break; // A missing directory simply holds nothing.
                }
                catch (Exception ex) when (ex is not OperationCanceledException && ex is not BackupTargetException)
                {
                    throw Map(ex, relative.Length == 0 ? "/" : relative + "/", "list");
                }

                var entry = entries.Current;
                if (entry.Name is "." or ".." || entry.Name.StartsWith(TempPrefix, StringComparison.Ordinal))
                {
                    continue;
                }

                var key = relative.Length == 0 ? entry.Name : $"{relative}/{entry.Name}";
                if (entry.IsDirectory)
                {
                    // Only descend where keys below could still match the prefix.
                    var asFolder = key + "/";
                    if (asFolder.StartsWith(prefix, StringComparison.Ordinal) || prefix.StartsWith(asFolder, StringComparison.Ordinal))
                    {
                        pending.Push(key);
                    }
                }
                else if (entry.IsRegularFile && key.StartsWith(prefix, StringComparison.Ordinal))
                {
                    yield return new BackupObjectInfo { Key = key, Length = entry.Length, LastModified = new DateTimeOffset(entry.LastWriteTimeUtc, TimeSpan.Zero) };
                }
            }
        }
    }

    /// <inheritdoc />
    public Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        var path = PathOf(key);
        return RunAsync(key, async (client, ct) =>
        {
            try
            {
                await client.DeleteFileAsync(path, ct).ConfigureAwait(false);
            }
            catch (SftpPathNotFoundException)
            {
                // Deleting what is not there is not an error.
            }

            return true;
        }, "delete", cancellationToken);
    }

    /// <inheritdoc />
    public Task<BackupObjectInfo?> StatAsync(string key, CancellationToken cancellationToken = default)
    {
        var path = PathOf(key);
        return RunAsync<BackupObjectInfo?>(key, async (client, ct) =>
        {
            try
            {
                var attributes = await client.GetAttributesAsync(path, ct).ConfigureAwait(false);
                return attributes.IsRegularFile
                    ? new BackupObjectInfo { Key = key, Length = attributes.Size, LastModified = new DateTimeOffset(attributes.LastWriteTimeUtc, TimeSpan.Zero) }
                    : null;
            }
            catch (SftpPathNotFoundException)
            {
                return null;
            }
        }, "stat", cancellationToken);
    }

    /// <summary>Closes the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        var client = Interlocked.Exchange(ref _client, null);
        if (client is not null)
        {
            await DisposeClientAsync(client).ConfigureAwait(false);
        }

        _connectLock.Dispose();
    }

    private async Task UploadAsync(SftpClient client, string directory, string temp, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        if (!_knownDirectories.ContainsKey(directory))
        {
            await EnsureDirectoryAsync(client, directory, cancellationToken).ConfigureAwait(false);
        }

        using var source = AsStream(content);
        try
        {
            await client.UploadFileAsync(source, temp, cancellationToken).ConfigureAwait(false);
        }
        catch (SftpPathNotFoundException)
        {
            // Someone removed the directory since we created it; make it again once.
            _knownDirectories.TryRemove(directory, out _);
            await EnsureDirectoryAsync(client, directory, cancellationToken).ConfigureAwait(false);
            source.Position = 0;
            await client.UploadFileAsync(source, temp, cancellationToken).ConfigureAwait(false);
        }

        // The server creates files with its umask (0644 with OpenSSH's default); the object gets its permissions
        // before it is renamed into place.
        await SetPermissionsAsync(client, temp, _filePermissions, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Sets a mode. A server without Unix permissions (some cloud SFTP gateways) answers "unsupported": it is not
    /// asked again, and its objects keep whatever access it gives them.
    /// </summary>
    private async Task SetPermissionsAsync(SftpClient client, string path, short mode, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _permissionsUnsupported))
        {
            return;
        }

        try
        {
            // SSH.NET has this call only without async.
            await Task.Run(() => client.ChangePermissions(path, mode), cancellationToken).ConfigureAwait(false);
        }
        catch (SftpException ex) when (ex.StatusCode == StatusCode.OperationUnsupported)
        {
            Volatile.Write(ref _permissionsUnsupported, true);
        }
    }

    /// <summary>Directories get the objects' permissions plus search where read is granted (0600 gives 0700, 0640 gives 0750).</summary>
    private static UnixFileMode DirectoryPermissionsFor(UnixFileMode objectPermissions)
    {
        var permissions = objectPermissions;
        permissions |= objectPermissions.HasFlag(UnixFileMode.UserRead) ? UnixFileMode.UserExecute : 0;
        permissions |= objectPermissions.HasFlag(UnixFileMode.GroupRead) ? UnixFileMode.GroupExecute : 0;
        permissions |= objectPermissions.HasFlag(UnixFileMode.OtherRead) ? UnixFileMode.OtherExecute : 0;
        return permissions;
    }

    private static short ToSshNetMode(UnixFileMode mode) =>
        short.Parse(Convert.ToString((int)mode & 0x1FF, 8), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Creates a directory and, inside the repository, gives it the directory permissions (the server's umask would leave it 0755).</summary>
    private async Task CreateDirectoryWithPermissionsAsync(SftpClient client, string directory, CancellationToken cancellationToken)
    {
        await client.CreateDirectoryAsync(directory, cancellationToken).ConfigureAwait(false);
        if (directory == _root || directory.StartsWith(_root.TrimEnd('/') + "/", StringComparison.Ordinal))
        {
            // Directories above the repository, made on first use, keep the server's default.
            await SetPermissionsAsync(client, directory, _directoryPermissions, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task RenameIntoPlaceAsync(SftpClient client, string temp, string path, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _posixRename) != 0)
        {
            try
            {
                // No async overload takes isPosix, so this one request runs on the thread pool.
                await Task.Run(() => client.RenameFile(temp, path, isPosix: true), cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref _posixRename, 1);
                return;
            }
            catch (NotSupportedException)
            {
                Volatile.Write(ref _posixRename, 0);
            }
        }

        // Plain SFTP rename refuses to replace an existing file, so delete first. There is a short window in which
        // the key is missing; a reader then sees "no object", never a partial one.
        try
        {
            await client.DeleteFileAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (SftpPathNotFoundException)
        {
            // Nothing to replace.
        }

        await client.RenameFileAsync(temp, path, cancellationToken).ConfigureAwait(false);
    }

    private async Task EnsureDirectoryAsync(SftpClient client, string directory, CancellationToken cancellationToken)
    {
        if (_knownDirectories.ContainsKey(directory) || directory is "/" or "." or "")
        {
            return;
        }

        try
        {
            await CreateDirectoryWithPermissionsAsync(client, directory, cancellationToken).ConfigureAwait(false);
        }
        catch (SftpPathNotFoundException)
        {
            // The parent is missing too (also above the root on first use): make it, then this level.
            var slash = directory.LastIndexOf('/');
            if (slash < 0)
            {
                throw;
            }

            await EnsureDirectoryAsync(client, slash == 0 ? "/" : directory[..slash], cancellationToken).ConfigureAwait(false);
            await CreateOrAcceptExistingAsync(client, directory, cancellationToken).ConfigureAwait(false);
        }
        catch (SshException)
        {
            // It may already exist (or another writer just made it); OpenSSH reports that as a generic failure.
            if (!await IsDirectoryAsync(client, directory, cancellationToken).ConfigureAwait(false))
            {
                throw;
            }
        }

        _knownDirectories[directory] = true;
    }

    private async Task CreateOrAcceptExistingAsync(SftpClient client, string directory, CancellationToken cancellationToken)
    {
        try
        {
            await CreateDirectoryWithPermissionsAsync(client, directory, cancellationToken).ConfigureAwait(false);
        }
        catch (SshException)
        {
            if (!await IsDirectoryAsync(client, directory, cancellationToken).ConfigureAwait(false))
            {
                throw;
            }
        }
    }

    private async Task<bool> IsDirectoryAsync(SftpClient client, string path, CancellationToken cancellationToken)
    {
        try
        {
            var attributes = await client.GetAttributesAsync(path, cancellationToken).ConfigureAwait(false);
            if (!attributes.IsDirectory)
            {
                // SFTP v3 answers a mkdir over an existing file with a plain "Failure", which a put would report as a
                // full disk: say what is really wrong, as a local repository given a file does.
                throw new BackupTargetException(
                    $"'{path}' on the server is a file, not a directory, so {Description} cannot hold a repository: give the repository's directory.");
            }

            return true;
        }
        catch (SftpPathNotFoundException)
        {
            return false;
        }
    }

    private static async Task TryDeleteAsync(SftpClient client, string path)
    {
        try
        {
            if (client.IsConnected)
            {
                await client.DeleteFileAsync(path, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is SshException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            // A leftover temporary file is skipped by listings and only costs space.
        }
    }

    private async Task<T> RunAsync<T>(string key, Func<SftpClient, CancellationToken, Task<T>> operation, string verb, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        for (var attempt = 0; ; attempt++)
        {
            var client = await GetClientAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return await operation(client, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsConnectionFault(ex) && !cancellationToken.IsCancellationRequested)
            {
                await DropClientAsync(client).ConfigureAwait(false);
                if (attempt >= MaxRetriesOnStaleConnection)
                {
                    throw Map(ex, key, verb);
                }

                // A connection that died while idle fails the first call; one fresh connection is tried at once
                // (every operation is idempotent), further faults are left to RetryingTarget's backoff.
            }
            catch (Exception ex) when (ex is not OperationCanceledException && ex is not BackupTargetException && ex is not ArgumentException)
            {
                throw Map(ex, key, verb);
            }
        }
    }

    private async Task<SftpClient> GetClientAsync(CancellationToken cancellationToken)
    {
        var existing = Volatile.Read(ref _client);
        if (existing is { IsConnected: true })
        {
            return existing;
        }

        await _connectLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            existing = _client;
            if (existing is { IsConnected: true })
            {
                return existing;
            }

            if (existing is not null)
            {
                _client = null;
                await DisposeClientAsync(existing).ConfigureAwait(false);
            }

            var (client, seen, error) = await TryConnectAsync(_hostKeyFamily, cancellationToken).ConfigureAwait(false);
            var presented = new List<string>();
            if (error is not null && seen.Fingerprint is not null && !seen.Trusted && _hostKeyFamily is null)
            {
                // Servers usually have an Ed25519, an ECDSA and an RSA host key, and the client picks one: the configured
                // fingerprint may be of another of them (ssh-keygen -lf ssh_host_rsa_key.pub, a line of ssh-keyscan), which
                // is no reason to refuse the server. Ask for each other kind in turn; only a key with the configured
                // fingerprint is accepted, and the server proves it holds it in the key exchange.
                presented.Add($"{seen.Fingerprint} ({seen.Algorithm})");
                foreach (var family in HostKeyFamilies.Where(f => f != FamilyOf(seen.Algorithm!)))
                {
                    var other = await TryConnectAsync(family, cancellationToken).ConfigureAwait(false);
                    if (other.Seen.Fingerprint is null)
                    {
                        continue; // the server has no key of this kind
                    }

                    if (other.Seen.Trusted)
                    {
                        (client, seen, error) = other;
                        _hostKeyFamily = family;
                        break;
                    }

                    presented.Add($"{other.Seen.Fingerprint} ({other.Seen.Algorithm})");
                }
            }

            if (error is not null)
            {
                if (seen.Fingerprint is { } fingerprint && !seen.Trusted)
                {
                    throw new BackupTargetException(
                        (presented.Count > 1
                            ? $"The SSH host keys of {_options.Host}:{_options.Port} are {string.Join(", ", presented)}; none is the configured {_options.HostKeyFingerprint}."
                            : $"The SSH host key of {_options.Host}:{_options.Port} is {fingerprint} ({seen.Algorithm}), which is not the configured {_options.HostKeyFingerprint}.") +
                        " The connection was refused: check the server's key (ssh-keygen -lf) and update the configured fingerprint only if the change is expected.", error);
                }

                var ex = error;
                throw ex switch
                {
                    SshAuthenticationException => new BackupTargetException(
                        $"SSH login as '{_options.Username}' to {_options.Host}:{_options.Port} was refused: {ex.Message}", ex),
                    SshPassPhraseNullOrEmptyException or SshException when ex.Message.Contains("key", StringComparison.OrdinalIgnoreCase) && seen.Fingerprint is null =>
                        new BackupTargetException($"The private key for {Description} could not be used: {ex.Message}", ex),
                    _ when RefusedConnection.IsRefused(ex) =>
                        new BackupTargetException($"Could not connect to {Description}: {RefusedConnection.Describe($"{_options.Host}:{_options.Port}")}.", ex) { IsTransient = true },
                    _ => new BackupTargetException($"Could not connect to {Description}: {ex.Message}", ex) { IsTransient = true },
                };
            }

            _client = client!;
            return client!;
        }
        finally
        {
            _connectLock.Release();
        }
    }

    // Host key kinds a server may hold one of each of; the algorithm names of a kind all contain its name.
    private static readonly string[] HostKeyFamilies = ["ed25519", "ecdsa", "rsa"];

    private static string FamilyOf(string algorithm) =>
        HostKeyFamilies.FirstOrDefault(f => algorithm.Contains(f, StringComparison.Ordinal)) ?? algorithm;

    /// <summary>Connects, offering only host key algorithms of <paramref name="hostKeyFamily"/> when given; the client, or the error and the key seen.</summary>
    private async Task<(SftpClient? Client, HostKeyCheck Seen, Exception? Error)> TryConnectAsync(string? hostKeyFamily, CancellationToken cancellationToken)
    {
        var client = CreateClient(out var seen);
        if (hostKeyFamily is not null)
        {
            foreach (var algorithm in client.ConnectionInfo.HostKeyAlgorithms.Keys.Where(a => FamilyOf(a) != hostKeyFamily).ToList())
            {
                client.ConnectionInfo.HostKeyAlgorithms.Remove(algorithm);
            }
        }

        try
        {
            await client.ConnectAsync(cancellationToken).ConfigureAwait(false);
            return (client, seen, null);
        }
        catch (Exception ex)
        {
            client.Dispose();
            if (ex is OperationCanceledException)
            {
                throw;
            }

            return (null, seen, ex);
        }
    }

    private SftpClient CreateClient(out HostKeyCheck check)
    {
        var methods = new List<AuthenticationMethod>();
        if (_options.PrivateKey is { } key)
        {
            PrivateKeyFile file;
            if (key.FilePath is not null)
            {
                file = new PrivateKeyFile(key.FilePath, key.Passphrase);
            }
            else
            {
                using var keyStream = new MemoryStream(key.Bytes!, writable: false);
                file = new PrivateKeyFile(keyStream, key.Passphrase);
            }

            methods.Add(new PrivateKeyAuthenticationMethod(_options.Username, file));
        }

        if (_options.Password is not null)
        {
            methods.Add(new PasswordAuthenticationMethod(_options.Username, _options.Password));
        }

        var info = new ConnectionInfo(_options.Host, _options.Port, _options.Username, [.. methods]) { Timeout = _options.Timeout };
        var client = new SftpClient(info)
        {
            OperationTimeout = _options.Timeout,
            KeepAliveInterval = _options.KeepAliveInterval == TimeSpan.Zero ? Timeout.InfiniteTimeSpan : _options.KeepAliveInterval,
        };
        var result = new HostKeyCheck();
        var expected = _options.HostKeyFingerprint["SHA256:".Length..].TrimEnd('=');
        client.HostKeyReceived += (_, e) =>
        {
            result.Fingerprint = "SHA256:" + e.FingerPrintSHA256;
            result.Algorithm = e.HostKeyName;
            result.Trusted = string.Equals(e.FingerPrintSHA256.TrimEnd('='), expected, StringComparison.Ordinal);
            e.CanTrust = result.Trusted;
        };
        check = result;
        return client;
    }

    private async Task DropClientAsync(SftpClient client)
    {
        if (Interlocked.CompareExchange(ref _client, null, client) == client)
        {
            await DisposeClientAsync(client).ConfigureAwait(false);
        }
    }

    // Disconnect and Dispose are synchronous in SSH.NET and may wait on a dead socket, so keep them off the caller.
    private static Task DisposeClientAsync(SftpClient client) => Task.Run(() =>
    {
        try
        {
            client.Dispose();
        }
        catch (Exception ex) when (ex is SshException or SocketException or ObjectDisposedException)
        {
            // Already broken; nothing to release beyond what Dispose managed.
        }
    });

    private static bool IsConnectionFault(Exception ex) => ex switch
    {
        SshConnectionException or SocketException or SshOperationTimeoutException or ObjectDisposedException => true,
        SftpException { StatusCode: StatusCode.ConnectionLost or StatusCode.NoConnection } => true,
        InvalidOperationException when ex.Message.Contains("not connected", StringComparison.OrdinalIgnoreCase) => true,
        IOException { InnerException: { } inner } => IsConnectionFault(inner),
        _ => false,
    };

    private BackupTargetException Map(Exception ex, string key, string verb) => ex switch
    {
        SftpPathNotFoundException => new BackupObjectNotFoundException(key, Description),
        SftpPermissionDeniedException => new BackupTargetException(
            $"Permission denied to {verb} '{key}' in {Description}: the server refused it ({ex.Message}).", ex),
        SftpException { StatusCode: StatusCode.Failure } when LooksLikeNoSpace(ex.Message) => new BackupTargetException(
            $"Could not {verb} '{key}' in {Description}: the server is out of space or over quota ({ex.Message}).", ex),
        SftpException { StatusCode: StatusCode.Failure } when verb == "write" => new BackupTargetException(
            $"Could not {verb} '{key}' in {Description}: the server reported a failure ({ex.Message}); a full disk or quota is the usual cause.", ex),
        _ when IsConnectionFault(ex) => new BackupTargetException(
            $"Network error during {verb} of '{key}' in {Description}: {ex.Message}", ex) { IsTransient = true },
        _ => new BackupTargetException($"Could not {verb} '{key}' in {Description}: {ex.Message}", ex),
    };

    private static bool LooksLikeNoSpace(string message) =>
        message.Contains("space", StringComparison.OrdinalIgnoreCase) || message.Contains("quota", StringComparison.OrdinalIgnoreCase);

    private string PathOf(string key)
    {
        BackupKeys.Validate(key);
        var name = key[(key.LastIndexOf('/') + 1)..];
        if (name.StartsWith(TempPrefix, StringComparison.Ordinal))
        {
            throw new ArgumentException($"Object key '{key}' uses the reserved name prefix '{TempPrefix}'.", nameof(key));
        }

        return _root == "/" ? "/" + key : $"{_root}/{key}";
    }

    private string DirectoryOf(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash <= 0 ? (slash == 0 ? "/" : _root) : path[..slash];
    }

    private static MemoryStream AsStream(ReadOnlyMemory<byte> content) =>
        MemoryMarshal.TryGetArray(content, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(content.ToArray(), writable: false);

    private sealed class HostKeyCheck
    {
        public string? Fingerprint { get; set; }

        public string? Algorithm { get; set; }

        public bool Trusted { get; set; }
    }
}
