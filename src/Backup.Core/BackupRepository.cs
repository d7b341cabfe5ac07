using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Backup.Core.Chunking;
using Backup.Core.Content;
using Backup.Core.Crypto;
using Backup.Core.Repository;
using Backup.Core.Repository.Blobs;
using Backup.Core.Repository.Keys;
using Backup.Core.Repository.Locks;
using Backup.Core.Repository.Records;
using Backup.Core.Snapshots;
using Backup.Core.Storage;
using Backup.Core.Transforms;

namespace Backup.Core;

/// <summary>
/// An open repository: a small facade over its layers. The blob store (target, transforms, packs and the index) is
/// below everything; the <see cref="Keys"/> wrap the master key; the <see cref="Snapshots"/> name what was backed up;
/// the services (backup, restore, maintenance, verification, replication, retention) work through these, and take
/// the repository's lock with a fresh index from <see cref="BeginOperationAsync(LockKind, string, CancellationToken)"/>.
/// The stored objects are the single source of truth: nothing is cached on local disk.
/// </summary>
public sealed class BackupRepository : IAsyncDisposable
{
    private readonly MasterKey _key;

    private BackupRepository(IBackupTarget target, IBackupTarget guarded, RepositoryConfig config, MasterKey key, KeyRing keys, IStreamTransform[] userTransforms)
    {
        _key = key;
        Blobs = new BlobStore(guarded, config, key, userTransforms);
        Keys = keys;
        Snapshots = new SnapshotStore(Blobs, async (purpose, ct) => await BeginOperationAsync(LockKind.Exclusive, purpose, refreshIndex: false, timeProvider: null, ct).ConfigureAwait(false));
        Content = new ContentReader(Blobs);
        Records = new RecordStore(Blobs);
        Locks = new RepositoryLocks(target, Blobs.Chain, Locking);
        Chunker = new FastCdcChunker(key.ChunkerSecret, config.Chunker);
    }

    /// <summary>The repository's configuration.</summary>
    public RepositoryConfig Config => Blobs.Config;

    /// <summary>Where the repository lives, for messages (the target's description).</summary>
    public string Location => Blobs.Description;

    /// <summary>The repository's keys: list, add, remove, change.</summary>
    public KeyRing Keys { get; }

    /// <summary>The repository's snapshots and the trees they reference.</summary>
    public SnapshotStore Snapshots { get; }

    /// <summary>Small encrypted documents kept with the backups (such as disaster-recovery drill results).</summary>
    public RecordStore Records { get; }

    /// <summary>Reads files' content back: chunks checked against their IDs, in order, fetched ahead in parallel.</summary>
    public ContentReader Content { get; }

    /// <summary>How this process's locks on the repository behave: their lifetime, and where unauthenticated lock objects are reported.</summary>
    public RepositoryLockOptions Locking { get; } = new();

    /// <summary>
    /// Key objects that were skipped when this repository was opened because they cannot be used (see
    /// <see cref="KeyRing.SkippedKeys"/>).
    /// </summary>
    public IReadOnlyList<RepositoryKeyInfo> SkippedKeys => Keys.SkippedKeys;

    /// <summary>The blob layer: target, transforms, packs and the index.</summary>
    internal BlobStore Blobs { get; }

    /// <summary>The repository's lock objects.</summary>
    internal RepositoryLocks Locks { get; }

    /// <summary>The chunker, keyed by this repository's secret.</summary>
    internal FastCdcChunker Chunker { get; }

    /// <summary>Creates a repository on an empty target and opens it.</summary>
    /// <exception cref="RepositoryException">The target already holds a repository, or other data (a repository needs a location of its own).</exception>
    public static async Task<BackupRepository> InitAsync(IBackupTarget target, RepositoryCredentials credentials, RepositoryInitOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(credentials);
        options ??= new RepositoryInitOptions();
        options.Validate();
        if (await target.StatAsync(RepositoryLayout.Config, cancellationToken).ConfigureAwait(false) is not null)
        {
            throw new RepositoryAlreadyExistsException(target.Description);
        }

        await RequireNoForeignObjectsAsync(target, cancellationToken).ConfigureAwait(false);

        // Before the first write: a repository created on storage that ignores the lock asked for would look immutable
        // to its operator and be deletable by anyone holding the credential.
        if (target.GetCapability<IRetentionLockingTarget>() is { } locking)
        {
            await locking.ConfirmRetentionLockAsync(cancellationToken).ConfigureAwait(false);
        }

        // Recorded so that a later run which forgot the lock (a cron job, a copy into this repository) is refused
        // instead of quietly writing packs and snapshots anyone with the credential can delete.
        var retentionLock = RetentionLockGuard.LockWrittenBy(target);

        var config = new RepositoryConfig
        {
            Id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
            Created = DateTimeOffset.Now,
            Chunker = options.Chunker,
            PackSize = options.PackSize,
            Compression = options.Compression,
        };
        var (userTransforms, configured) = await UserTransforms.CreateAsync(options.Transforms, new() { RepositoryId = config.Id, TargetDescription = target.Description }, cancellationToken).ConfigureAwait(false);
        if (configured.Length > 0)
        {
            config = config with { Version = UserTransforms.ConfigVersion, Transforms = configured };
        }

        if (retentionLock is not null)
        {
            config = config with { Version = RepositoryConfig.RetentionLockVersion, RetentionLock = retentionLock };
        }

        var key = MasterKey.Generate();
        config = config with { Mac = ConfigMac(config, key) };
        var keys = await KeyRing.CreateAsync(target, config.Id, key, credentials, options.KdfIterations, options.KeyLabel, cancellationToken).ConfigureAwait(false);

        // The config goes last: until it exists there is no repository, so a failed init leaves nothing that opens.
        await target.PutAsync(RepositoryLayout.Config, JsonSerializer.SerializeToUtf8Bytes(config, RepositoryJson.Default.RepositoryConfig), cancellationToken).ConfigureAwait(false);
        return new BackupRepository(target, target, config, key, keys, userTransforms);
    }

    /// <summary>
    /// Refuses a location that holds anything but a repository's own objects: init into the wrong directory would
    /// otherwise mix the repository's files with the user's (and a later prune or repair of the repository must never
    /// meet files that are not its own). What an interrupted init left (key objects without a config) is no obstacle.
    /// </summary>
    private static async Task RequireNoForeignObjectsAsync(IBackupTarget target, CancellationToken cancellationToken)
    {
        const string Advice = "a repository needs a location of its own. Give a new or empty directory (or bucket prefix, or container path).";
        try
        {
            await foreach (var item in target.ListAsync(string.Empty, cancellationToken).ConfigureAwait(false))
            {
                if (!RepositoryLayout.IsRepositoryObject(item.Key))
                {
                    throw new RepositoryException($"{target.Description} is not empty (it holds '{item.Key}', which is not part of a repository); {Advice}");
                }
            }
        }
        catch (UnauthorizedAccessException ex)
        {
            // A repository's own objects are all readable by its writer: what cannot be read is someone else's.
            throw new RepositoryException($"{target.Description} holds entries this user cannot read ({ex.Message}); {Advice}", ex);
        }
    }

    /// <summary>Opens an existing repository and loads its index.</summary>
    /// <exception cref="RepositoryNotFoundException">The target holds no repository.</exception>
    /// <exception cref="RepositoryFormatException">The repository was written by a newer version.</exception>
    /// <exception cref="WrongPasswordException">The credentials open no key.</exception>
    /// <exception cref="TransformNotRegisteredException">The repository needs a user transform (open it with <see cref="OpenAsync(IBackupTarget, RepositoryCredentials, RepositoryOpenOptions, CancellationToken)"/>).</exception>
    public static Task<BackupRepository> OpenAsync(IBackupTarget target, RepositoryCredentials credentials, CancellationToken cancellationToken = default) =>
        OpenAsync(target, credentials, new RepositoryOpenOptions(), cancellationToken);

    /// <summary>Opens an existing repository with the user transforms it may need, and loads its index.</summary>
    /// <exception cref="RepositoryNotFoundException">The target holds no repository.</exception>
    /// <exception cref="RepositoryFormatException">The repository was written by a newer version.</exception>
    /// <exception cref="WrongPasswordException">The credentials open no key.</exception>
    /// <exception cref="TransformNotRegisteredException">The repository needs a user transform that is not in <paramref name="options"/>.</exception>
    /// <exception cref="RepositoryTransformException">A user transform could not be opened from what the repository recorded.</exception>
    public static async Task<BackupRepository> OpenAsync(IBackupTarget target, RepositoryCredentials credentials, RepositoryOpenOptions options, CancellationToken cancellationToken = default)
    {
        var repository = await OpenWithoutIndexAsync(target, credentials, options, cancellationToken).ConfigureAwait(false);
        try
        {
            using var activity = RepositoryActivity.Start("open.index");
            await repository.Blobs.LoadIndexAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await repository.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return repository;
    }

    /// <summary>
    /// Opens an existing repository without loading its index: for check and repair, which read the index objects
    /// themselves and must still work when one of them is damaged (which makes <see cref="OpenAsync(IBackupTarget, RepositoryCredentials, CancellationToken)"/> fail).
    /// </summary>
    /// <exception cref="RepositoryNotFoundException">The target holds no repository.</exception>
    /// <exception cref="RepositoryFormatException">The repository was written by a newer version.</exception>
    /// <exception cref="WrongPasswordException">The credentials open no key.</exception>
    public static Task<BackupRepository> OpenWithoutIndexAsync(IBackupTarget target, RepositoryCredentials credentials, CancellationToken cancellationToken = default) =>
        OpenWithoutIndexAsync(target, credentials, new RepositoryOpenOptions(), cancellationToken);

    /// <summary>Opens an existing repository with the user transforms it may need, without loading its index (see the overload without options).</summary>
    /// <exception cref="RepositoryNotFoundException">The target holds no repository.</exception>
    /// <exception cref="RepositoryFormatException">The repository was written by a newer version.</exception>
    /// <exception cref="WrongPasswordException">The credentials open no key.</exception>
    /// <exception cref="TransformNotRegisteredException">The repository needs a user transform that is not in <paramref name="options"/>.</exception>
    /// <exception cref="RepositoryTransformException">A user transform could not be opened from what the repository recorded.</exception>
    public static async Task<BackupRepository> OpenWithoutIndexAsync(IBackupTarget target, RepositoryCredentials credentials, RepositoryOpenOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(credentials);
        ArgumentNullException.ThrowIfNull(options);
        RepositoryConfig config;
        using (RepositoryActivity.Start("open.config"))
        {
            config = await ReadConfigAsync(target, cancellationToken).ConfigureAwait(false);
        }

        // Every write but a lock object's goes through the guard; the lock it enforces is authenticated by the unlock
        // below (a config whose recorded lock was changed outside this library does not open).
        var guarded = RetentionLockGuard.Over(target, config);
        var (key, keys) = await KeyRing.UnlockAsync(guarded, config, credentials, k => ConfigMacMatches(config, k), cancellationToken).ConfigureAwait(false);
        IStreamTransform[] userTransforms;
        try
        {
            userTransforms = await UserTransforms.OpenAsync(config, options.Transforms, target.Description, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            key.Dispose();
            throw;
        }

        return new BackupRepository(target, guarded, config, key, keys, userTransforms);
    }

    /// <summary>
    /// Throws <see cref="RetentionLockRequiredException"/> when the repository records a retention lock
    /// (<see cref="RepositoryConfig.RetentionLock"/>) that its target does not write: call it before an operation
    /// that changes the repository, to refuse before even a lock object is written. Without the call every write is
    /// refused all the same (lock objects excepted); reading never needs the lock.
    /// </summary>
    /// <exception cref="RetentionLockRequiredException">The target writes a shorter lock, another mode, or none.</exception>
    public void RequireRetentionLockForWriting() => RetentionLockGuard.Require(Locks.Target, Config);

    /// <summary>
    /// Throws <see cref="RetentionLockRequiredException"/> when the repository in <paramref name="target"/> records a
    /// retention lock that the target does not write, without opening it: one read of the config, no key and no index,
    /// for a host that checks at start-up every repository its jobs write to rather than each job at its first write.
    /// The config is not authenticated without the key; opening authenticates it, and an opened repository refuses
    /// every write through such a target all the same.
    /// </summary>
    /// <param name="target">The target the writes would go through.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <exception cref="RetentionLockRequiredException">The target writes a shorter lock, another mode, or none.</exception>
    /// <exception cref="RepositoryNotFoundException">The target holds no repository.</exception>
    public static async Task RequireRetentionLockForWritingAsync(IBackupTarget target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        RetentionLockGuard.Require(target, await ReadConfigAsync(target, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>The config's authentication code: HMAC-SHA256 over its JSON without <see cref="RepositoryConfig.Mac"/>.</summary>
    private static string ConfigMac(RepositoryConfig config, MasterKey key)
    {
        Span<byte> macKey = stackalloc byte[32];
        HMACSHA256.HashData(key.IdKey, "backup-sdk config mac v1"u8, macKey);
        var bytes = JsonSerializer.SerializeToUtf8Bytes(config with { Mac = null }, RepositoryJson.Default.RepositoryConfig);
        var mac = Convert.ToHexStringLower(HMACSHA256.HashData(macKey, bytes));
        CryptographicOperations.ZeroMemory(macKey);
        return mac;
    }

    /// <summary>Whether <paramref name="key"/> authenticates the config: one changed outside this library, damaged, or opened with another master key does not.</summary>
    private static bool ConfigMacMatches(RepositoryConfig config, MasterKey key) =>
        config.Mac is not null && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(config.Mac), Encoding.ASCII.GetBytes(ConfigMac(config, key)));

    /// <summary>Reads this repository's stored config again (check reports a config that no longer reads).</summary>
    internal Task<RepositoryConfig> ReadStoredConfigAsync(CancellationToken cancellationToken) => ReadConfigAsync(Blobs.Target, cancellationToken);

    /// <summary>Reads and checks a target's configuration without opening the repository.</summary>
    public static async Task<RepositoryConfig> ReadConfigAsync(IBackupTarget target, CancellationToken cancellationToken = default)
    {
        byte[] bytes;
        try
        {
            bytes = await target.ReadAllAsync(RepositoryLayout.Config, ObjectSizeLimits.Config, cancellationToken).ConfigureAwait(false);
        }
        catch (BackupObjectNotFoundException)
        {
            throw new RepositoryNotFoundException(target.Description);
        }
        catch (BackupLocationNotFoundException ex)
        {
            throw new RepositoryNotFoundException(target.Description, ex);
        }

        RepositoryConfig? config;
        try
        {
            using var document = JsonDocument.Parse(bytes);
            if (document.RootElement.TryGetProperty("version", out var version) && version.TryGetInt32(out var v) && v > RepositoryConfig.CurrentVersion)
            {
                throw new RepositoryFormatException($"The repository in {target.Description} uses format version {v}; this version of Backup.Core reads up to version {RepositoryConfig.CurrentVersion}. Upgrade to read it.");
            }

            config = JsonSerializer.Deserialize(bytes, RepositoryJson.Default.RepositoryConfig);
        }
        catch (JsonException ex)
        {
            throw new RepositoryCorruptException($"The repository config in {target.Description} is not valid JSON: {ex.Message}", ex);
        }

        if (config is null || config.Format != new RepositoryConfig { Id = "", Chunker = new() }.Format || config.Version < 1)
        {
            throw new RepositoryCorruptException($"The object 'config' in {target.Description} is not a Backup SDK repository configuration.");
        }

        try
        {
            // The config is plain JSON and not authenticated: settings that do not validate mean it was damaged.
            ArgumentNullException.ThrowIfNull(config.Chunker, nameof(config.Chunker));
            config.Chunker.Validate();
            _ = CompressionSetting.Parse(config.Compression);
            if (config.RetentionLock is { } retentionLock && retentionLock.Period <= TimeSpan.Zero)
            {
                throw new ArgumentException($"{nameof(config.RetentionLock)} must be a positive period (was {retentionLock.Period}).");
            }

            if (config.PackSize < 4 * 1024 * 1024 || config.PackSize > 256 * 1024 * 1024)
            {
                throw new ArgumentException($"{nameof(config.PackSize)} must be between 4 MiB and 256 MiB (was {config.PackSize}).");
            }
        }
        catch (ArgumentException ex)
        {
            throw new RepositoryCorruptException($"The repository config in {target.Description} has an invalid setting: {ex.Message}", ex);
        }

        return config;
    }

    /// <summary>
    /// Takes the repository's lock for <paramref name="purpose"/> and brings the index up to date under it, as every
    /// operation must before it deduplicates against the index or reads through it: between opening and locking,
    /// another process may have pruned or backed up. Dispose the operation to release the lock.
    /// </summary>
    /// <exception cref="RepositoryLockedException">A conflicting, live lock exists.</exception>
    public Task<RepositoryOperation> BeginOperationAsync(LockKind kind, string purpose, CancellationToken cancellationToken = default) =>
        BeginOperationAsync(kind, purpose, refreshIndex: true, timeProvider: null, cancellationToken);

    /// <summary>
    /// <see cref="BeginOperationAsync(LockKind, string, CancellationToken)"/> on the clock of <paramref name="timeProvider"/>;
    /// without <paramref name="refreshIndex"/> for operations that read the index objects themselves (check, prune,
    /// repair), which must work when one is damaged and would only waste the refresh.
    /// </summary>
    internal async Task<RepositoryOperation> BeginOperationAsync(LockKind kind, string purpose, bool refreshIndex, TimeProvider? timeProvider, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(purpose);
        RepositoryLock held;
        using (RepositoryActivity.Start("lock"))
        {
            held = await RepositoryLock.AcquireAsync(Locks, kind == LockKind.Exclusive, purpose, timeProvider, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            if (refreshIndex)
            {
                using var activity = RepositoryActivity.Start("index.refresh");
                await Blobs.RefreshIndexAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            await held.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return new RepositoryOperation(this, held);
    }

    /// <summary>
    /// Removes the stale locks: expired ones, and ones held by processes on this host that no longer run (a process
    /// killed or a host restarted). Locks of other hosts count as live until they expire. Lock objects that do not
    /// authenticate are reported through <see cref="RepositoryLockOptions.UnauthenticatedLockFound"/>, not removed.
    /// </summary>
    /// <returns>The locks removed, each with why it was stale.</returns>
    public Task<IReadOnlyList<RepositoryLockInfo>> RemoveStaleLocksAsync(CancellationToken cancellationToken = default) =>
        RepositoryLock.RemoveStaleLocksAsync(Locks, timeProvider: null, cancellationToken);

    /// <summary>
    /// Removes every lock, live or not: only for an operator who knows that no process holding one still works on the
    /// repository (its host is down), since a prune running meanwhile could delete data a backup is still writing.
    /// Lock objects that do not authenticate are reported, not removed.
    /// </summary>
    /// <returns>The locks removed; <see cref="RepositoryLockInfo.StaleReason"/> is null for the ones that were live.</returns>
    public Task<IReadOnlyList<RepositoryLockInfo>> RemoveAllLocksAsync(CancellationToken cancellationToken = default) =>
        RepositoryLock.RemoveAllLocksAsync(Locks, timeProvider: null, cancellationToken);

    /// <summary>The locks held on the repository, each with why it is stale (null while it is live); nothing is removed.</summary>
    public Task<IReadOnlyList<RepositoryLockInfo>> ListLocksAsync(CancellationToken cancellationToken = default) =>
        RepositoryLock.ListLocksAsync(Locks, timeProvider: null, cancellationToken);

    /// <summary>Counts what the repository holds on its storage (one listing of packs, index objects and snapshots).</summary>
    public async Task<RepositoryStorageStatistics> GetStorageStatisticsAsync(CancellationToken cancellationToken = default)
    {
        var (packs, packBytes) = await Blobs.CountAsync(RepositoryLayout.DataPrefix, cancellationToken).ConfigureAwait(false);
        var (indexObjects, indexBytes) = await Blobs.CountAsync(RepositoryLayout.IndexPrefix, cancellationToken).ConfigureAwait(false);
        var (snapshots, snapshotBytes) = await Blobs.CountAsync(RepositoryLayout.SnapshotsPrefix, cancellationToken).ConfigureAwait(false);
        return new RepositoryStorageStatistics
        {
            Packs = packs,
            PackBytes = packBytes,
            IndexObjects = indexObjects,
            IndexBytes = indexBytes,
            Snapshots = snapshots,
            SnapshotBytes = snapshotBytes,
            IndexedBlobs = Blobs.Index.Count,
        };
    }

    /// <summary>Starts writing blobs and snapshots.</summary>
    /// <param name="parallelism">Encoding workers; the number of processors when not given.</param>
    /// <param name="cancellationToken">Stops the writer, its uploads included, when cancelled.</param>
    internal RepositoryWriter CreateWriter(int? parallelism = null, CancellationToken cancellationToken = default) => new(Blobs, parallelism ?? Environment.ProcessorCount, cancellationToken: cancellationToken);

    /// <summary>Releases the key material, transforms and buffers; the target is not disposed (whoever created it does that, after this).</summary>
    public ValueTask DisposeAsync()
    {
        Blobs.Dispose();
        _key.Dispose();
        return ValueTask.CompletedTask;
    }
}
