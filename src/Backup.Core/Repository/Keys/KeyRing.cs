using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Backup.Core.Buffers;
using Backup.Core.Crypto;
using Backup.Core.Storage;
using Backup.Core.Transforms;

namespace Backup.Core.Repository.Keys;

/// <summary>
/// The keys of an open repository: each key object wraps the one master key under a password or key file. Lists,
/// adds, removes and changes them; never exposes a secret.
/// </summary>
public sealed class KeyRing
{
    private readonly IBackupTarget _target;
    private readonly string _repositoryId;
    private readonly MasterKey _key;
    private string _currentKeyId;

    private KeyRing(IBackupTarget target, string repositoryId, MasterKey key, string currentKeyId, IReadOnlyList<RepositoryKeyInfo> skippedKeys)
    {
        _target = target;
        _repositoryId = repositoryId;
        _key = key;
        _currentKeyId = currentKeyId;
        SkippedKeys = skippedKeys;
    }

    /// <summary>Writes the first key of a new repository, wrapping <paramref name="key"/> (which the caller owns).</summary>
    internal static async Task<KeyRing> CreateAsync(IBackupTarget target, string repositoryId, MasterKey key, RepositoryCredentials credentials, int? pbkdf2Iterations, string? label, CancellationToken cancellationToken)
    {
        var keyId = await WriteKeyAsync(target, repositoryId, key, credentials, pbkdf2Iterations, label, cancellationToken).ConfigureAwait(false);
        return new KeyRing(target, repositoryId, key, keyId, []);
    }

    /// <summary>
    /// Key objects that were skipped when this repository was opened because they cannot be used: damaged, tampered
    /// with (fewer iterations or less memory than readers require, or more than they compute), or needing what this
    /// machine lacks. Empty normally; when not, someone may have altered the keys: remove the ones you did not add.
    /// </summary>
    public IReadOnlyList<RepositoryKeyInfo> SkippedKeys { get; }

    /// <summary>Lists the repository's keys (never their secrets), unusable ones with <see cref="RepositoryKeyInfo.Problem"/> set.</summary>
    public async Task<IReadOnlyList<RepositoryKeyInfo>> ListKeysAsync(CancellationToken cancellationToken = default)
    {
        var keys = await ReadKeyObjectsAsync(_target, cancellationToken).ConfigureAwait(false);

        // A key that wraps another master key shows only when it is opened: the open that skipped it says why.
        var skipped = SkippedKeys.ToDictionary(k => k.Id, k => k.Problem, StringComparer.Ordinal);
        return [.. keys.Select(k => k.Describe(_currentKeyId)).Select(k => k.Problem is null && skipped.GetValueOrDefault(k.Id) is { } problem ? k with { Problem = problem } : k).OrderBy(k => k.Created)];
    }

    /// <summary>
    /// Adds a key that opens the repository with <paramref name="credentials"/>; returns its ID. A password key uses
    /// Argon2id (PBKDF2 where libsodium is unavailable), or PBKDF2 with <paramref name="kdfIterations"/> when given.
    /// </summary>
    public Task<string> AddKeyAsync(RepositoryCredentials credentials, string? label = null, int? kdfIterations = null, CancellationToken cancellationToken = default) =>
        WriteKeyAsync(_target, _repositoryId, _key, credentials, kdfIterations, label, cancellationToken);

    /// <summary>
    /// Removes a key. The key this session was opened with, and the last key, cannot be removed. The master key stays
    /// the same: whoever held the removed password and kept a copy of its key object (or of the master key) can still
    /// decrypt the repository; to shut them out, copy every snapshot into a new repository, which has a new master
    /// key (Backup.Core.Replication.RepositoryCopier; docs/repository-format.md, section 7).
    /// </summary>
    public async Task RemoveKeyAsync(string keyId, CancellationToken cancellationToken = default)
    {
        var keys = await ListKeysAsync(cancellationToken).ConfigureAwait(false);
        var matches = keys.Where(k => k.Id.StartsWith(keyId, StringComparison.OrdinalIgnoreCase)).ToList();
        if (matches.Count != 1)
        {
            throw matches.Count == 0 ? new RepositoryKeyNotFoundException(keyId) : new RepositoryException($"{matches.Count} key IDs start with '{keyId}'; give more digits.");
        }

        if (matches[0].IsCurrent)
        {
            throw new RepositoryException("The key in use cannot be removed; open the repository with another key to remove this one.");
        }

        await _target.DeleteAsync(RepositoryLayout.KeysPrefix + matches[0].Id, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Replaces the key this session was opened with by one for <paramref name="newCredentials"/> (the master key
    /// stays: see <see cref="RemoveKeyAsync"/>).
    /// </summary>
    public async Task ChangePasswordAsync(RepositoryCredentials newCredentials, int? kdfIterations = null, CancellationToken cancellationToken = default)
    {
        var old = _currentKeyId;
        var current = await ReadKeyObjectAsync(_target, RepositoryLayout.KeysPrefix + old, cancellationToken).ConfigureAwait(false);
        // The new key is stored before the old one goes, so a failure in between leaves two working keys, never none.
        _currentKeyId = await WriteKeyAsync(_target, _repositoryId, _key, newCredentials, kdfIterations, current.Key?.Label, cancellationToken).ConfigureAwait(false);
        await _target.DeleteAsync(RepositoryLayout.KeysPrefix + old, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Every key object that cannot be used, with why: damaged, or with parameters readers refuse (a key skipped at
    /// every open is tampered with, or useless). For a check, which reads each one as stored.
    /// </summary>
    internal async Task<List<(string Key, string Problem)>> FindUnusableAsync(CancellationToken cancellationToken)
    {
        var found = new List<(string Key, string Problem)>();
        await foreach (var info in _target.ListWithinAsync(RepositoryLayout.KeysPrefix, cancellationToken).ConfigureAwait(false))
        {
            try
            {
                var bytes = await _target.ReadAllAsync(info.Key, ObjectSizeLimits.Key, cancellationToken).ConfigureAwait(false);
                if (JsonSerializer.Deserialize(bytes, KeyJson.Default.KeyObject) is not { Data.Length: > 0, Kdf: not null } keyObject)
                {
                    throw new JsonException("the key object is empty");
                }

                if (keyObject.Kdf.Problem() is { } problem)
                {
                    found.Add((info.Key, $"The key object cannot be used: {problem}. Remove it if you did not add it."));
                }
            }
            catch (Exception ex) when (ex is JsonException or BackupTargetException)
            {
                found.Add((info.Key, ex.Message));
            }
        }

        return found;
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
        await target.PutAsync(RepositoryLayout.KeysPrefix + id, JsonSerializer.SerializeToUtf8Bytes(keyObject, KeyJson.Default.KeyObject), cancellationToken).ConfigureAwait(false);
        return id;
    }

    /// <summary>Every key object, each parsed and checked; anyone who can write to the storage can add one, so none is trusted.</summary>
    private static async Task<StoredKey[]> ReadKeyObjectsAsync(IBackupTarget target, CancellationToken cancellationToken)
    {
        var listed = new List<BackupObjectInfo>();
        await foreach (var info in target.ListWithinAsync(RepositoryLayout.KeysPrefix, cancellationToken).ConfigureAwait(false))
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
            keyObject = JsonSerializer.Deserialize(bytes, KeyJson.Default.KeyObject);
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
    /// first, so an added key object can neither lock the owners out nor, past the caps, stall them. A key object the
    /// credentials open is taken only if its master key authenticates the config (<paramref name="authenticatesConfig"/>):
    /// whoever holds a password can add one that wraps a master key of their own, named to be tried first.
    /// </summary>
    /// <exception cref="RepositoryCorruptException">Keys opened, but none with a master key that authenticates the config.</exception>
    internal static async Task<(MasterKey Key, KeyRing Keys)> UnlockAsync(IBackupTarget target, RepositoryConfig config, RepositoryCredentials credentials, Func<MasterKey, bool> authenticatesConfig, CancellationToken cancellationToken)
    {
        StoredKey[] keys;
        using (RepositoryActivity.Start("open.keys"))
        {
            keys = await ReadKeyObjectsAsync(target, cancellationToken).ConfigureAwait(false);
        }

        if (keys.Length == 0)
        {
            throw new RepositoryCorruptException($"The repository in {target.Description} has no keys left; it cannot be opened.");
        }

        var skipped = keys.Where(k => k.Problem is not null).Select(k => k.Describe(currentKeyId: null)).OrderBy(k => k.Id, StringComparer.Ordinal).ToList();
        var candidates = keys
            .Where(k => k.Problem is null && k.Key!.Kdf.Accepts(credentials))
            .OrderBy(k => k.Key!.Kdf.RelativeCost)
            .ThenBy(k => k.Id, StringComparer.Ordinal);
        var foreign = new List<RepositoryKeyInfo>();
        foreach (var candidate in candidates)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var keyObject = candidate.Key!;
            byte[] wrapping;
            using (RepositoryActivity.Start("open.kdf"))
            {
                wrapping = keyObject.Kdf.DeriveKey(credentials);
            }

            MasterKey key;
            try
            {
                using var aes = new AesGcmTransform(wrapping);
                using var output = new PooledBufferWriter();
                aes.Decode(keyObject.Data, output, new TransformContext(KeyAad(config.Id), MasterKey.Size));
                key = MasterKey.FromMaterial(output.WrittenSpan);
            }
            catch (InvalidDataException)
            {
                // Not this key: try the next.
                continue;
            }
            finally
            {
                CryptographicOperations.ZeroMemory(wrapping);
            }

            if (!authenticatesConfig(key))
            {
                key.Dispose();
                foreign.Add(candidate.Describe(currentKeyId: null) with { Problem = ForeignKeyProblem });
                continue;
            }

            return (key, new KeyRing(target, config.Id, key, candidate.Id, [.. skipped.Concat(foreign).OrderBy(k => k.Id, StringComparer.Ordinal)]));
        }

        if (foreign.Count > 0)
        {
            throw new RepositoryCorruptException(
                $"The repository config in {target.Description} does not match its authentication code under the master key of any key object the " +
                $"credentials open ({string.Join(", ", foreign.Select(k => k.Id))}): the config was changed outside this library or is damaged, or those " +
                "key objects wrap another master key (added by someone who holds a password). Nothing was read or written. Put back the original 'config' " +
                "object (from the storage's versioning or a copy of the storage), or, if you did not add those key objects, remove them and open with the password of a key you did add.");
        }

        throw new WrongPasswordException(target.Description, skipped);
    }

    private const string ForeignKeyProblem =
        "the credentials open it, but it wraps another master key than the one that authenticates this repository's config (added by someone who holds a password); remove it if you did not add it";

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
