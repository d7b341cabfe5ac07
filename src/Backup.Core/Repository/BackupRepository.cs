using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Backup.Core.Buffers;
using Backup.Core.Chunking;
using Backup.Core.Crypto;
using Backup.Core.Snapshots;
using Backup.Core.Storage;
using Backup.Core.Transforms;

namespace Backup.Core.Repository;

/// <summary>
/// An open repository: its configuration, master key, transforms, chunker and the in-memory index. Reads
/// blobs, trees and snapshots; writes through a <see cref="RepositoryWriter"/>; manages keys.
/// The stored objects are the single source of truth: nothing is cached on local disk.
/// </summary>
public sealed class BackupRepository : IAsyncDisposable
{
    /// <summary>The object ID a snapshot object is encoded under.</summary>
    internal static readonly byte[] SnapshotObjectId = "backup-sdk snapshot v1"u8.ToArray();
    private readonly MasterKey _key;
    private readonly ConcurrentDictionary<BlobId, IReadOnlyList<PackHeaderEntry>> _unindexedPacks = new();
    private readonly ConcurrentDictionary<string, byte> _knownIndexKeys = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _refreshGate = new(1, 1);
    private string _currentKeyId;

    private readonly IStreamTransform[] _userTransforms;

    private BackupRepository(IBackupTarget target, RepositoryConfig config, MasterKey key, string currentKeyId, IStreamTransform[] userTransforms)
    {
        Target = target;
        Config = config;
        _key = key;
        _currentKeyId = currentKeyId;
        Compression = CompressionSetting.Parse(config.Compression);
        Encryption = new AesGcmTransform(key.EncryptionKey);
        _userTransforms = userTransforms;
        Chain = UserTransforms.BuildChain(Compression, userTransforms, Encryption, BufferPool);
        Chunker = new FastCdcChunker(key.ChunkerSecret, config.Chunker);
    }

    /// <summary>Where the repository's objects live.</summary>
    public IBackupTarget Target { get; }

    /// <summary>The repository's configuration.</summary>
    public RepositoryConfig Config { get; }

    /// <summary>
    /// Where the hot path's chunk-sized buffers come from. One pool per repository, without thread-local slots:
    /// the shared pool parks a large array in every thread that returns one, so memory grew with thread count.
    /// </summary>
    public ArrayPool<byte> BufferPool { get; } = new BufferPool(maxArrayLength: 512 * 1024 * 1024, maxArraysPerSize: Environment.ProcessorCount * 4 + 8);

    /// <summary>Which blobs are stored where.</summary>
    public ChunkIndex Index { get; } = new();

    /// <summary>How this process's locks on the repository behave: their lifetime, and where unauthenticated lock objects are reported.</summary>
    public RepositoryLockOptions Locking { get; } = new();

    /// <summary>The chunker, keyed by this repository's secret.</summary>
    public FastCdcChunker Chunker { get; }

    /// <summary>The transforms every stored object goes through: compression, the user transforms, then AES-256-GCM.</summary>
    public TransformChain Chain { get; }

    internal IStreamTransform Compression { get; }

    internal AesGcmTransform Encryption { get; }

    /// <summary>Packs found without an index entry (left by a writer that stopped early); the next writer indexes them.</summary>
    internal ConcurrentDictionary<BlobId, IReadOnlyList<PackHeaderEntry>> UnindexedPacks => _unindexedPacks;

    /// <summary>Creates a repository on an empty target and opens it.</summary>
    /// <exception cref="RepositoryException">The target already holds a repository.</exception>
    public static async Task<BackupRepository> InitAsync(IBackupTarget target, RepositoryCredentials credentials, RepositoryInitOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(credentials);
        options ??= new RepositoryInitOptions();
        options.Validate();
        if (await target.StatAsync(RepositoryLayout.Config, cancellationToken).ConfigureAwait(false) is not null)
        {
            throw new RepositoryException($"{target.Description} already holds a repository; open it instead of creating one.");
        }

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

        var key = MasterKey.Generate();
        config = config with { Mac = ConfigMac(config, key) };
        var keyId = await WriteKeyAsync(target, config.Id, key, credentials, options.KdfIterations, options.KeyLabel, cancellationToken).ConfigureAwait(false);

        // The config goes last: until it exists there is no repository, so a failed init leaves nothing that opens.
        await target.PutAsync(RepositoryLayout.Config, JsonSerializer.SerializeToUtf8Bytes(config, RepositoryJson.Default.RepositoryConfig), cancellationToken).ConfigureAwait(false);
        return new BackupRepository(target, config, key, keyId, userTransforms);
    }

    /// <summary>Opens an existing repository and loads its index.</summary>
    /// <exception cref="RepositoryNotFoundException">The target holds no repository.</exception>
    /// <exception cref="RepositoryFormatException">The repository was written by a newer version.</exception>
    /// <exception cref="WrongPasswordException">The credentials open no key.</exception>
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
            await repository.LoadIndexAsync(cancellationToken).ConfigureAwait(false);
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
        var config = await ReadConfigAsync(target, cancellationToken).ConfigureAwait(false);
        var (key, keyId, skippedKeys) = await UnlockAsync(target, config, credentials, cancellationToken).ConfigureAwait(false);
        IStreamTransform[] userTransforms;
        try
        {
            CheckConfigMac(target, config, key);
            userTransforms = await UserTransforms.OpenAsync(config, options.Transforms, target.Description, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            key.Dispose();
            throw;
        }

        return new BackupRepository(target, config, key, keyId, userTransforms) { SkippedKeys = skippedKeys };
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

    /// <summary>Refuses a config that the master key did not authenticate: it was changed outside this library or damaged.</summary>
    private static void CheckConfigMac(IBackupTarget target, RepositoryConfig config, MasterKey key)
    {
        var expected = ConfigMac(config, key);
        if (config.Mac is null || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(config.Mac), Encoding.ASCII.GetBytes(expected)))
        {
            key.Dispose();
            throw new RepositoryCorruptException(
                $"The repository config in {target.Description} does not match its authentication code: it was changed outside this library or is damaged. " +
                "Nothing was read or written. Put back the original 'config' object (from the storage's versioning or a copy of the storage) before using this repository.");
        }
    }

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

    /// <summary>The keyed ID of <paramref name="content"/> in this repository.</summary>
    public BlobId ComputeId(ReadOnlySpan<byte> content) => BlobId.Compute(_key.IdKey, content);

    /// <summary>Starts writing blobs and snapshots.</summary>
    /// <param name="parallelism">Encoding workers; the number of processors when not given.</param>
    public RepositoryWriter CreateWriter(int? parallelism = null) => new(this, parallelism ?? Environment.ProcessorCount);

    /// <summary>Reads a blob, decrypts, decompresses and checks it against its ID.</summary>
    /// <exception cref="RepositoryCorruptException">The blob is missing, altered or damaged.</exception>
    public async Task<byte[]> ReadBlobAsync(BlobId id, CancellationToken cancellationToken = default)
    {
        using var buffer = new PooledBufferWriter(4096, BufferPool);
        await ReadBlobAsync(id, buffer, cancellationToken).ConfigureAwait(false);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads a blob into <paramref name="destination"/>, checked against its ID.</summary>
    /// <exception cref="RepositoryCorruptException">The blob is missing, altered or damaged.</exception>
    public async Task ReadBlobAsync(BlobId id, PooledBufferWriter destination, CancellationToken cancellationToken = default)
    {
        if (!Index.TryGet(id, out var location))
        {
            throw new RepositoryCorruptException($"Blob {id.ToShortString()} is not in the index: the data it belongs to is missing. Run 'backup check'.");
        }

        using var stored = await ReadStoredAsync(id, location, (int)location.Length, cancellationToken).ConfigureAwait(false);
        DecodeBlob(id, stored.Span, location.RawLength, destination);
    }

    /// <summary>Reads <paramref name="length"/> stored bytes of a pack from where the blob <paramref name="id"/> starts, into a buffer from <see cref="BufferPool"/>.</summary>
    /// <exception cref="RepositoryCorruptException">The pack is missing.</exception>
    internal async Task<PooledBuffer> ReadStoredAsync(BlobId id, BlobLocation location, int length, CancellationToken cancellationToken)
    {
        if (length < 0 || length > ObjectSizeLimits.Pack)
        {
            throw new RepositoryCorruptException($"The index places {(uint)length:N0} bytes of blob {id.ToShortString()} in pack {location.Pack.ToShortString()}, more than a pack holds: the index is damaged. Run 'backup repair index'.");
        }

        var buffer = new PooledBuffer(length, BufferPool, willFill: true);
        try
        {
            await Target.ReadExactlyAsync(RepositoryLayout.PackKey(location.Pack), location.Offset, buffer.Memory, cancellationToken).ConfigureAwait(false);
            return buffer;
        }
        catch (BackupObjectNotFoundException ex)
        {
            buffer.Dispose();
            throw new RepositoryCorruptException($"Pack {location.Pack.ToShortString()} holding blob {id.ToShortString()} is missing from {Target.Description}. Run 'backup check'.", ex);
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    /// <summary>Decodes a stored blob and checks it against its ID.</summary>
    internal void DecodeBlob(BlobId id, ReadOnlySpan<byte> stored, uint rawLength, PooledBufferWriter destination)
    {
        destination.Reset();
        Span<byte> aad = stackalloc byte[BlobId.Size];
        id.WriteTo(aad);
        try
        {
            Chain.DecodeTo(stored, aad, destination, (int)Math.Max(rawLength, 1));
        }
        catch (InvalidDataException ex)
        {
            throw new RepositoryCorruptException($"Blob {id.ToShortString()} is damaged or altered: {ex.Message}", ex);
        }

        if (destination.WrittenCount != rawLength || ComputeId(destination.WrittenSpan) != id)
        {
            throw new RepositoryCorruptException($"Blob {id.ToShortString()} does not match its ID: it is damaged or altered.");
        }
    }

    /// <summary>Reads a tree blob.</summary>
    public async Task<Tree> LoadTreeAsync(BlobId id, CancellationToken cancellationToken = default)
    {
        var bytes = await ReadBlobAsync(id, cancellationToken).ConfigureAwait(false);
        return DecodeTree(bytes, id);
    }

    /// <summary>Parses a tree blob's bytes.</summary>
    /// <exception cref="RepositoryCorruptException">The bytes are not a valid tree.</exception>
    internal static Tree DecodeTree(ReadOnlySpan<byte> bytes, BlobId id)
    {
        try
        {
            var tree = JsonSerializer.Deserialize(bytes, RepositoryJson.Default.Tree) ?? throw new JsonException("null tree");
            // JSON null where a list or name belongs would only fail later, far from the damaged tree.
            if (tree.Nodes is null || tree.Nodes.Any(n => n is null || n.Name is null))
            {
                throw new JsonException("a node list or node is missing");
            }

            return tree;
        }
        catch (JsonException ex)
        {
            throw new RepositoryCorruptException($"Tree {id.ToShortString()} is not a valid tree: {ex.Message}", ex);
        }
    }

    /// <summary>Serialises a tree as stored in a tree blob.</summary>
    public static byte[] SerializeTree(Tree tree) => JsonSerializer.SerializeToUtf8Bytes(tree, RepositoryJson.Default.Tree);

    /// <summary>Lists every snapshot, oldest first. Damaged snapshot objects are reported through <paramref name="onError"/> and skipped.</summary>
    public async IAsyncEnumerable<Snapshot> ListSnapshotsAsync(Action<string, Exception>? onError = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var keys = new List<string>();
        await foreach (var info in Target.ListAsync(RepositoryLayout.SnapshotsPrefix, cancellationToken).ConfigureAwait(false))
        {
            keys.Add(info.Key);
        }

        var snapshots = new List<Snapshot>(keys.Count);
        foreach (var key in keys)
        {
            try
            {
                snapshots.Add(await LoadSnapshotObjectAsync(key, cancellationToken).ConfigureAwait(false));
            }
            catch (RepositoryCorruptException ex) when (onError is not null)
            {
                onError(key, ex);
            }
        }

        foreach (var snapshot in snapshots.OrderBy(s => s.Time).ThenBy(s => s.Id))
        {
            yield return snapshot;
        }
    }

    /// <summary>Finds a snapshot by full ID, unique ID prefix (at least 4 digits), or "latest".</summary>
    /// <exception cref="RepositoryException">No snapshot or more than one matches.</exception>
    public async Task<Snapshot> FindSnapshotAsync(string idOrPrefix, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(idOrPrefix);
        if (idOrPrefix.Equals("latest", StringComparison.OrdinalIgnoreCase))
        {
            Snapshot? latest = null;
            var damaged = new List<string>();

            // A damaged snapshot object must not hide every good one: 'backup check' reports it.
            await foreach (var snapshot in ListSnapshotsAsync((key, _) => damaged.Add(key), cancellationToken).ConfigureAwait(false))
            {
                latest = snapshot;
            }

            return latest ?? throw (damaged.Count > 0
                ? new RepositoryCorruptException($"Every snapshot object in {Target.Description} is damaged or altered ({string.Join(", ", damaged)}); run 'backup check'.")
                : new RepositoryException($"The repository in {Target.Description} has no snapshots yet."));
        }

        if (idOrPrefix.Length < 4 || !idOrPrefix.All(Uri.IsHexDigit))
        {
            throw new RepositoryException($"'{idOrPrefix}' is not a snapshot ID: give 'latest' or at least 4 hexadecimal digits of an ID.");
        }

        var prefix = idOrPrefix.ToLowerInvariant();
        var matches = new List<string>();
        await foreach (var info in Target.ListAsync(RepositoryLayout.SnapshotsPrefix + prefix, cancellationToken).ConfigureAwait(false))
        {
            matches.Add(info.Key);
        }

        return matches.Count switch
        {
            0 => throw new RepositoryException($"No snapshot ID starts with '{idOrPrefix}'; list them with 'backup snapshots'."),
            1 => await LoadSnapshotObjectAsync(matches[0], cancellationToken).ConfigureAwait(false),
            _ => throw new RepositoryException($"{matches.Count} snapshot IDs start with '{idOrPrefix}'; give more digits."),
        };
    }

    /// <summary>Stores a snapshot object (after everything it references) and returns it with its ID.</summary>
    public async Task<Snapshot> SaveSnapshotAsync(Snapshot snapshot, CancellationToken cancellationToken = default)
    {
        var plain = JsonSerializer.SerializeToUtf8Bytes(snapshot, RepositoryJson.Default.Snapshot);
        var stored = Chain.Encode(plain, SnapshotObjectId);
        var id = BlobId.Sha256(stored);
        await Target.PutAsync(RepositoryLayout.SnapshotKey(id), stored, cancellationToken).ConfigureAwait(false);
        return snapshot with { Id = id };
    }

    /// <summary>Removes a snapshot object (its data stays until pruned).</summary>
    public Task DeleteSnapshotAsync(BlobId id, CancellationToken cancellationToken = default) =>
        Target.DeleteAsync(RepositoryLayout.SnapshotKey(id), cancellationToken);

    /// <summary>Reads the index objects and any packs they miss into <see cref="Index"/>.</summary>
    public async Task LoadIndexAsync(CancellationToken cancellationToken = default)
    {
        var indexKeys = await ListIndexKeysAsync(cancellationToken).ConfigureAwait(false);
        _knownIndexKeys.Clear();
        foreach (var key in indexKeys)
        {
            _knownIndexKeys.TryAdd(key, 0);
        }

        // Packs named by any index. Not Index.ContainsPack: while prune runs, a blob may be listed in two packs
        // and only the first location is kept, so a listed pack can hold no "known" blob and would be mistaken
        // for an unindexed one (and its header read on every open).
        var indexedPacks = new ConcurrentDictionary<BlobId, byte>();
        var superseded = await LoadIndexObjectsAsync(indexKeys, indexedPacks, cancellationToken).ConfigureAwait(false);
        if (superseded.Count > 0)
        {
            // An index that another one supersedes may still be listed (prune writes the new index before it
            // deletes the old ones) and may name packs about to be deleted: load only the newer ones.
            Index.Clear();
            indexedPacks.Clear();
            await LoadIndexObjectsAsync(indexKeys.Where(k => !superseded.Contains(k)).ToList(), indexedPacks, cancellationToken).ConfigureAwait(false);
        }

        // Packs that no index lists were left by a writer that stopped before writing its index (or are being
        // written right now): their headers say what they hold, so their blobs are reused instead of stored again.
        var unindexed = new List<BackupObjectInfo>();
        await foreach (var info in Target.ListAsync(RepositoryLayout.DataPrefix, cancellationToken).ConfigureAwait(false))
        {
            if (RepositoryLayout.TryParseId(info.Key, out var pack) && !indexedPacks.ContainsKey(pack))
            {
                unindexed.Add(info);
            }
        }

        await Parallel.ForEachAsync(unindexed, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken }, async (info, ct) =>
        {
            var entries = await TryReadPackHeaderAsync(info, ct).ConfigureAwait(false);
            if (entries is null || !RepositoryLayout.TryParseId(info.Key, out var pack))
            {
                return;
            }

            _unindexedPacks[pack] = entries;
            foreach (var entry in entries)
            {
                Index.TryAdd(entry.Id, new BlobLocation(pack, entry.Type, entry.Offset, entry.Length, entry.RawLength));
            }
        }).ConfigureAwait(false);
    }

    /// <summary>
    /// Brings <see cref="Index"/> up to date with the index objects on storage, as a writer must after taking its lock
    /// and before it deduplicates against the index: between loading the index and locking, another process may have
    /// pruned (deleting packs this index still names) or backed up (adding packs it does not know).
    /// </summary>
    /// <remarks>
    /// Lists <c>index/</c> only. When every index object loaded before is still there, new ones are read and added
    /// (the packs they name are new; nothing known was deleted, because prune and repair delete packs only after
    /// replacing every index object that names them). When one is gone, or packs were known only from their headers
    /// (prune deletes unused unindexed packs), the index is cleared and loaded again. Call it while holding a
    /// <see cref="RepositoryLock"/>, so no prune can start until the caller is done.
    /// </remarks>
    /// <returns>True when anything was (re)loaded.</returns>
    public async Task<bool> RefreshIndexAsync(CancellationToken cancellationToken = default)
    {
        await _refreshGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var listed = await ListIndexKeysAsync(cancellationToken).ConfigureAwait(false);
            var added = listed.Where(k => !_knownIndexKeys.ContainsKey(k)).ToList();
            var removed = _knownIndexKeys.Count - (listed.Count - added.Count);
            if (added.Count == 0 && removed == 0)
            {
                return false;
            }

            if (removed > 0 || _knownIndexKeys.IsEmpty || !_unindexedPacks.IsEmpty)
            {
                Index.Clear();
                _unindexedPacks.Clear();
                await LoadIndexAsync(cancellationToken).ConfigureAwait(false);
                return true;
            }

            await LoadIndexObjectsAsync(added, new ConcurrentDictionary<BlobId, byte>(), cancellationToken).ConfigureAwait(false);
            foreach (var key in added)
            {
                _knownIndexKeys.TryAdd(key, 0);
            }

            return true;
        }
        finally
        {
            _refreshGate.Release();
        }
    }

    /// <summary>Records an index object this process wrote, so <see cref="RefreshIndexAsync"/> does not read it back.</summary>
    internal void NoteIndexWritten(string key) => _knownIndexKeys.TryAdd(key, 0);

    private async Task<List<string>> ListIndexKeysAsync(CancellationToken cancellationToken)
    {
        var keys = new List<string>();
        await foreach (var info in Target.ListAsync(RepositoryLayout.IndexPrefix, cancellationToken).ConfigureAwait(false))
        {
            keys.Add(info.Key);
        }

        return keys;
    }

    /// <summary>Loads index objects into <see cref="Index"/>; returns the keys of loaded index objects that another one supersedes.</summary>
    private async Task<HashSet<string>> LoadIndexObjectsAsync(List<string> indexKeys, ConcurrentDictionary<BlobId, byte> indexedPacks, CancellationToken cancellationToken)
    {
        var supersededIds = new ConcurrentDictionary<BlobId, byte>();
        await Parallel.ForEachAsync(indexKeys, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken }, async (key, ct) =>
        {
            IndexFile index;
            try
            {
                var stored = await Target.ReadAllAsync(key, ObjectSizeLimits.Index, ct).ConfigureAwait(false);
                index = IndexFile.Decode(stored, Chain);
            }
            catch (Exception ex) when (ex is InvalidDataException or BackupObjectTooLargeException)
            {
                throw new RepositoryCorruptException($"Index object '{key}' is damaged or altered ({ex.Message}); run 'backup repair index' to rebuild the index from the packs.", ex);
            }

            foreach (var id in index.Supersedes)
            {
                supersededIds.TryAdd(id, 0);
            }

            foreach (var (pack, entries) in index.Packs)
            {
                indexedPacks.TryAdd(pack, 0);
                foreach (var entry in entries)
                {
                    Index.TryAdd(entry.Id, new BlobLocation(pack, entry.Type, entry.Offset, entry.Length, entry.RawLength));
                }
            }
        }).ConfigureAwait(false);

        return [.. indexKeys.Where(k => RepositoryLayout.TryParseId(k, out var id) && supersededIds.ContainsKey(id))];
    }

    /// <summary>Reads and decodes a pack's header; null when the pack is damaged or unreadable.</summary>
    public async Task<List<PackHeaderEntry>?> TryReadPackHeaderAsync(BackupObjectInfo pack, CancellationToken cancellationToken = default)
    {
        try
        {
            return await ReadPackHeaderAsync(pack, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidDataException or BackupTargetException)
        {
            return null;
        }
    }

    /// <summary>Reads and decodes a pack's header.</summary>
    /// <exception cref="InvalidDataException">The pack is truncated, damaged or altered.</exception>
    public async Task<List<PackHeaderEntry>> ReadPackHeaderAsync(BackupObjectInfo pack, CancellationToken cancellationToken = default)
    {
        PackFormat.CheckPackLength(pack.Key, pack.Length);

        var trailer = await Target.ReadBytesAsync(pack.Key, pack.Length - PackFormat.TrailerSize, PackFormat.TrailerSize, cancellationToken).ConfigureAwait(false);
        var headerLength = PackFormat.ReadHeaderLength(trailer, pack.Length);
        var header = await Target.ReadBytesAsync(pack.Key, pack.Length - PackFormat.TrailerSize - headerLength, headerLength, cancellationToken).ConfigureAwait(false);
        return PackFormat.DecodeHeader(header, pack.Length, Chain);
    }

    /// <summary>
    /// Key objects that were skipped when this repository was opened because they cannot be used: damaged, tampered
    /// with (fewer iterations or less memory than readers require, or more than they compute), or needing what this
    /// machine lacks. Empty normally; when not, someone may have altered the keys: remove the ones you did not add.
    /// </summary>
    public IReadOnlyList<RepositoryKeyInfo> SkippedKeys { get; private init; } = [];

    /// <summary>Lists the repository's keys (never their secrets), unusable ones with <see cref="RepositoryKeyInfo.Problem"/> set.</summary>
    public async Task<IReadOnlyList<RepositoryKeyInfo>> ListKeysAsync(CancellationToken cancellationToken = default)
    {
        var keys = await ReadKeyObjectsAsync(Target, cancellationToken).ConfigureAwait(false);
        return [.. keys.Select(k => k.Describe(_currentKeyId)).OrderBy(k => k.Created)];
    }

    /// <summary>
    /// Adds a key that opens the repository with <paramref name="credentials"/>; returns its ID. A password key uses
    /// Argon2id (PBKDF2 where libsodium is unavailable), or PBKDF2 with <paramref name="kdfIterations"/> when given.
    /// </summary>
    public Task<string> AddKeyAsync(RepositoryCredentials credentials, string? label = null, int? kdfIterations = null, CancellationToken cancellationToken = default) =>
        WriteKeyAsync(Target, Config.Id, _key, credentials, kdfIterations, label, cancellationToken);

    /// <summary>
    /// Removes a key. The key this session was opened with, and the last key, cannot be removed. The master key stays
    /// the same: whoever held the removed password and kept a copy of its key object (or of the master key) can still
    /// decrypt the repository; to shut them out, copy every snapshot into a new repository, which has a new master
    /// key (<see cref="Replication.RepositoryCopier"/>; docs/repository-format.md, section 7).
    /// </summary>
    public async Task RemoveKeyAsync(string keyId, CancellationToken cancellationToken = default)
    {
        var keys = await ListKeysAsync(cancellationToken).ConfigureAwait(false);
        var matches = keys.Where(k => k.Id.StartsWith(keyId, StringComparison.OrdinalIgnoreCase)).ToList();
        if (matches.Count != 1)
        {
            throw new RepositoryException(matches.Count == 0 ? $"No key ID starts with '{keyId}'; list them with 'backup key list'." : $"{matches.Count} key IDs start with '{keyId}'; give more digits.");
        }

        if (matches[0].IsCurrent)
        {
            throw new RepositoryException("The key in use cannot be removed; open the repository with another key to remove this one.");
        }

        await Target.DeleteAsync(RepositoryLayout.KeysPrefix + matches[0].Id, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Replaces the key this session was opened with by one for <paramref name="newCredentials"/> (the master key
    /// stays: see <see cref="RemoveKeyAsync"/>).
    /// </summary>
    public async Task ChangePasswordAsync(RepositoryCredentials newCredentials, int? kdfIterations = null, CancellationToken cancellationToken = default)
    {
        var old = _currentKeyId;
        var current = await ReadKeyObjectAsync(Target, RepositoryLayout.KeysPrefix + old, cancellationToken).ConfigureAwait(false);
        // The new key is stored before the old one goes, so a failure in between leaves two working keys, never none.
        _currentKeyId = await WriteKeyAsync(Target, Config.Id, _key, newCredentials, kdfIterations, current.Key?.Label, cancellationToken).ConfigureAwait(false);
        await Target.DeleteAsync(RepositoryLayout.KeysPrefix + old, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Releases the key material and buffers; the target is not disposed (whoever created it does that, after this).</summary>
    public ValueTask DisposeAsync()
    {
        Encryption.Dispose();
        (Compression as IDisposable)?.Dispose();
        UserTransforms.Dispose(_userTransforms);
        _key.Dispose();
        _refreshGate.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<Snapshot> LoadSnapshotObjectAsync(string key, CancellationToken cancellationToken)
    {
        if (!RepositoryLayout.TryParseId(key, out var id))
        {
            throw new RepositoryCorruptException($"'{key}' is not named like a snapshot object.");
        }

        byte[] stored;
        try
        {
            stored = await Target.ReadAllAsync(key, ObjectSizeLimits.Snapshot, cancellationToken).ConfigureAwait(false);
        }
        catch (BackupObjectNotFoundException ex)
        {
            throw new RepositoryException($"Snapshot {id.ToShortString()} was removed while being read.", ex);
        }
        catch (BackupObjectTooLargeException ex)
        {
            throw new RepositoryCorruptException($"Snapshot {id.ToShortString()} is damaged or altered: {ex.Message}", ex);
        }

        return DecodeSnapshot(stored, id, Chain);
    }

    /// <summary>Checks a stored snapshot object against its name, then decrypts and parses it.</summary>
    /// <exception cref="RepositoryCorruptException">The object is damaged or altered.</exception>
    internal static Snapshot DecodeSnapshot(ReadOnlySpan<byte> stored, BlobId id, TransformChain chain)
    {
        if (BlobId.Sha256(stored) != id)
        {
            throw new RepositoryCorruptException($"Snapshot {id.ToShortString()} does not match its name: it is damaged or altered.");
        }

        try
        {
            var plain = chain.Decode(stored, SnapshotObjectId, maxDecodedLength: 256 * 1024 * 1024);
            var snapshot = JsonSerializer.Deserialize(plain, RepositoryJson.Default.Snapshot) ?? throw new JsonException("null snapshot");
            // JSON null where a list or name belongs would only fail later, far from the damaged object.
            if (snapshot.Hostname is null || snapshot.SourceKind is null || snapshot.Tags is null || snapshot.Paths is null || snapshot.Problems is null
                || snapshot.Statistics is null || snapshot.Metadata is null || snapshot.Tags.Any(t => t is null) || snapshot.Paths.Any(p => p is null))
            {
                throw new JsonException("a required value is null");
            }

            return snapshot with { Id = id };
        }
        catch (Exception ex) when (ex is InvalidDataException or JsonException)
        {
            throw new RepositoryCorruptException($"Snapshot {id.ToShortString()} is damaged or altered: {ex.Message}", ex);
        }
    }

    private static byte[] KeyAad(string repositoryId) => Encoding.UTF8.GetBytes("backup-sdk key v1:" + repositoryId);

    private static async Task<string> WriteKeyAsync(IBackupTarget target, string repositoryId, MasterKey key, RepositoryCredentials credentials, int? pbkdf2Iterations, string? label, CancellationToken cancellationToken)
    {
        var kdf = pbkdf2Iterations is { } iterations && !credentials.IsKeyFile ? KeyDerivation.ForPbkdf2(credentials, iterations) : KeyDerivation.For(credentials);
        var wrapping = kdf.DeriveKey(credentials);
        byte[] data;
        using (var aes = new AesGcmTransform(wrapping))
        {
            using var output = new PooledBufferWriter();
            aes.TryEncode(key.Material, output, new TransformContext(KeyAad(repositoryId), MasterKey.Size));
            data = output.WrittenSpan.ToArray();
        }

        CryptographicOperations.ZeroMemory(wrapping);
        var keyObject = new KeyObject
        {
            Created = DateTimeOffset.Now,
            Hostname = Environment.MachineName,
            Username = Environment.UserName,
            Label = label,
            Kdf = kdf,
            Data = data,
        };
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        await target.PutAsync(RepositoryLayout.KeysPrefix + id, JsonSerializer.SerializeToUtf8Bytes(keyObject, RepositoryJson.Default.KeyObject), cancellationToken).ConfigureAwait(false);
        return id;
    }

    /// <summary>Every key object, each parsed and checked; anyone who can write to the storage can add one, so none is trusted.</summary>
    private static async Task<StoredKey[]> ReadKeyObjectsAsync(IBackupTarget target, CancellationToken cancellationToken)
    {
        var listed = new List<BackupObjectInfo>();
        await foreach (var info in target.ListAsync(RepositoryLayout.KeysPrefix, cancellationToken).ConfigureAwait(false))
        {
            listed.Add(info);
        }

        var keys = new StoredKey?[listed.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, listed.Count), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (i, ct) =>
        {
            try
            {
                keys[i] = await ReadKeyObjectAsync(target, listed[i].Key, ct).ConfigureAwait(false) with { Stored = listed[i].LastModified };
            }
            catch (BackupObjectNotFoundException)
            {
                // Removed since the listing: not a key any more.
            }
        }).ConfigureAwait(false);
        return [.. keys.OfType<StoredKey>()];
    }

    private static async Task<StoredKey> ReadKeyObjectAsync(IBackupTarget target, string objectKey, CancellationToken cancellationToken)
    {
        var id = objectKey[RepositoryLayout.KeysPrefix.Length..];
        byte[] bytes;
        try
        {
            bytes = await target.ReadAllAsync(objectKey, ObjectSizeLimits.Key, cancellationToken).ConfigureAwait(false);
        }
        catch (BackupObjectTooLargeException ex)
        {
            return new StoredKey(id, null, $"it is larger than any key object ({ex.Length:N0} bytes; the limit is {ex.MaxLength:N0})");
        }

        KeyObject? keyObject;
        try
        {
            keyObject = JsonSerializer.Deserialize(bytes, RepositoryJson.Default.KeyObject);
        }
        catch (JsonException ex)
        {
            return new StoredKey(id, null, $"it is not a valid key object ({ex.Message})");
        }

        var problem = keyObject switch
        {
            null or { Kdf: null } or { Data: null } => "it is not a valid key object (a member is missing)",
            { Version: not 1 } => $"it has version {keyObject.Version}, which this version does not know",
            _ => keyObject.Kdf.Problem(),
        };
        return new StoredKey(id, keyObject, problem);
    }

    /// <summary>
    /// Finds the key the credentials open. Unusable key objects (damaged, downgraded, asking for more work than the
    /// caps allow) are skipped and reported rather than failing the open, and the usable ones are tried cheapest
    /// first, so an added key object can neither lock the owners out nor, past the caps, stall them.
    /// </summary>
    private static async Task<(MasterKey Key, string KeyId, IReadOnlyList<RepositoryKeyInfo> Skipped)> UnlockAsync(IBackupTarget target, RepositoryConfig config, RepositoryCredentials credentials, CancellationToken cancellationToken)
    {
        var keys = await ReadKeyObjectsAsync(target, cancellationToken).ConfigureAwait(false);
        if (keys.Length == 0)
        {
            throw new RepositoryCorruptException($"The repository in {target.Description} has no keys left; it cannot be opened.");
        }

        var skipped = keys.Where(k => k.Problem is not null).Select(k => k.Describe(currentKeyId: null)).OrderBy(k => k.Id, StringComparer.Ordinal).ToList();
        var candidates = keys
            .Where(k => k.Problem is null && k.Key!.Kdf.Accepts(credentials))
            .OrderBy(k => k.Key!.Kdf.RelativeCost)
            .ThenBy(k => k.Id, StringComparer.Ordinal);
        foreach (var candidate in candidates)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var keyObject = candidate.Key!;
            var wrapping = keyObject.Kdf.DeriveKey(credentials);
            try
            {
                using var aes = new AesGcmTransform(wrapping);
                using var output = new PooledBufferWriter();
                aes.Decode(keyObject.Data, output, new TransformContext(KeyAad(config.Id), MasterKey.Size));
                return (MasterKey.FromMaterial(output.WrittenSpan), candidate.Id, skipped);
            }
            catch (InvalidDataException)
            {
                // Not this key: try the next.
            }
            finally
            {
                CryptographicOperations.ZeroMemory(wrapping);
            }
        }

        throw new WrongPasswordException(target.Description, skipped);
    }

    /// <summary>A key object as read: its ID, its content when it parsed, and why it cannot be used, if it cannot.</summary>
    private sealed record StoredKey(string Id, KeyObject? Key, string? Problem)
    {
        public DateTimeOffset Stored { get; init; }

        public RepositoryKeyInfo Describe(string? currentKeyId) =>
            new()
            {
                Id = Id, Created = Key?.Created ?? Stored, Hostname = Key?.Hostname, Username = Key?.Username, Label = Key?.Label, Algorithm = Key?.Kdf?.Algorithm ?? "unknown", IsCurrent = Id == currentKeyId,
                Problem = Problem,
            };
    }
}
