using System.Runtime.CompilerServices;
using System.Text.Json;
using Backup.Core.Repository;
using Backup.Core.Repository.Blobs;
using Backup.Core.Storage;
using Backup.Core.Transforms;

namespace Backup.Core.Snapshots;

/// <summary>
/// The snapshots of an open repository: lists, finds, saves and deletes snapshot objects, and reads the trees they
/// reference. A snapshot object is stored on its own (<c>snapshots/ID</c>), named by the hash of its encrypted bytes.
/// </summary>
public sealed class SnapshotStore
{
    /// <summary>The object ID a snapshot object is encoded under.</summary>
    internal static readonly byte[] SnapshotObjectId = "backup-sdk snapshot v1"u8.ToArray();
    private readonly BlobStore _blobs;
    private readonly Func<string, CancellationToken, Task<IAsyncDisposable>> _beginExclusive;

    /// <param name="blobs">The blob layer.</param>
    /// <param name="beginExclusive">Takes the repository's exclusive lock for a purpose (changing a snapshot's flags); disposing releases it. A delegate, so this layer stays below the facade.</param>
    internal SnapshotStore(BlobStore blobs, Func<string, CancellationToken, Task<IAsyncDisposable>> beginExclusive)
    {
        _blobs = blobs;
        _beginExclusive = beginExclusive;
    }

    /// <summary>Reads a tree blob.</summary>
    /// <exception cref="RepositoryCorruptException">The tree is missing, damaged or not a tree.</exception>
    public async Task<Tree> LoadTreeAsync(BlobId id, CancellationToken cancellationToken = default)
    {
        var bytes = await _blobs.ReadBlobAsync(id, cancellationToken).ConfigureAwait(false);
        return TreeCodec.Decode(bytes, id);
    }

    /// <summary>Lists every snapshot, oldest first. Damaged snapshot objects are reported through <paramref name="onError"/> and skipped.</summary>
    public async IAsyncEnumerable<Snapshot> ListAsync(Action<string, Exception>? onError = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var snapshots = await LoadAllAsync(onError, cancellationToken).ConfigureAwait(false);
        foreach (var snapshot in snapshots.OrderBy(s => s.Time).ThenBy(s => s.Id))
        {
            yield return snapshot;
        }
    }

    /// <summary>Lists and reads every snapshot object, several at once (each is a request to a remote store); damaged ones go to <paramref name="onError"/> in listing order.</summary>
    private async Task<List<Snapshot>> LoadAllAsync(Action<string, Exception>? onError, CancellationToken cancellationToken)
    {
        using var activity = RepositoryActivity.Start("snapshots.list");
        var keys = new List<string>();
        await foreach (var info in _blobs.Target.ListWithinAsync(RepositoryLayout.SnapshotsPrefix, cancellationToken).ConfigureAwait(false))
        {
            keys.Add(info.Key);
        }

        var loaded = new Snapshot?[keys.Count];
        var damaged = new RepositoryCorruptException?[keys.Count];
        await Parallel.ForAsync(0, keys.Count, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (i, ct) =>
        {
            try
            {
                loaded[i] = await LoadSnapshotObjectAsync(keys[i], ct).ConfigureAwait(false);
            }
            catch (RepositoryCorruptException ex) when (onError is not null)
            {
                damaged[i] = ex;
            }
        }).ConfigureAwait(false);

        // The callback is the caller's and need not be thread-safe: it runs here, after the reads, in listing order.
        for (var i = 0; i < keys.Count; i++)
        {
            if (damaged[i] is { } ex)
            {
                onError!(keys[i], ex);
            }
        }

        return [.. loaded.OfType<Snapshot>()];
    }

    /// <summary>
    /// How far ahead of this machine's clock a snapshot may be dated and still be "latest": a backup made a moment ago on a
    /// host whose clock runs a little ahead is the newest, not one to pass over.
    /// </summary>
    public static readonly TimeSpan ClockSkewAllowance = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Finds a snapshot by full ID, unique ID prefix (at least 4 digits), or "latest": the newest snapshot not dated more
    /// than <see cref="ClockSkewAllowance"/> after the system clock (<see cref="FindLatestAsync"/> tells which it passed over).
    /// </summary>
    /// <exception cref="RepositoryException">No snapshot or more than one matches.</exception>
    public async Task<Snapshot> FindAsync(string idOrPrefix, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(idOrPrefix);
        if (idOrPrefix.Equals("latest", StringComparison.OrdinalIgnoreCase))
        {
            var found = await FindLatestAsync(null, TimeProvider.System.GetUtcNow(), cancellationToken).ConfigureAwait(false);
            return found.GetOrThrow($"The repository in {_blobs.Target.Description} has no snapshots yet.", _blobs.Target.Description);
        }

        if (idOrPrefix.Length < 4 || !idOrPrefix.All(Uri.IsHexDigit))
        {
            throw new RepositoryException($"'{idOrPrefix}' is not a snapshot ID: give 'latest' or at least 4 hexadecimal digits of an ID.");
        }

        var prefix = idOrPrefix.ToLowerInvariant();
        var matches = new List<string>();
        await foreach (var info in _blobs.Target.ListWithinAsync(RepositoryLayout.SnapshotsPrefix + prefix, cancellationToken).ConfigureAwait(false))
        {
            matches.Add(info.Key);
        }

        return matches.Count switch
        {
            0 => throw new SnapshotNotFoundException($"No snapshot ID starts with '{idOrPrefix}'.", idOrPrefix),
            1 => await LoadSnapshotObjectAsync(matches[0], cancellationToken).ConfigureAwait(false),
            _ => throw new RepositoryException($"{matches.Count} snapshot IDs start with '{idOrPrefix}' ({Candidates(matches)}); give more digits."),
        };
    }

    /// <summary>
    /// The newest snapshot that <paramref name="filter"/> accepts (all when null), passing over those dated more than
    /// <see cref="ClockSkewAllowance"/> after <paramref name="now"/>: a snapshot from a clock that ran a year ahead would
    /// otherwise be "latest" for a year, and a restore of "latest" would bring back its data instead of last night's.
    /// </summary>
    public async Task<LatestSnapshot> FindLatestAsync(Func<Snapshot, bool>? filter, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        Snapshot? latest = null;
        var ahead = new List<Snapshot>();
        var damaged = new List<string>();
        var readable = 0;

        // A damaged snapshot object must not hide every good one: a check reports it.
        await foreach (var snapshot in ListAsync((key, _) => damaged.Add(key), cancellationToken).ConfigureAwait(false))
        {
            readable++;
            if (filter is not null && !filter(snapshot))
            {
                continue;
            }

            if (snapshot.Time > now + ClockSkewAllowance)
            {
                ahead.Add(snapshot);
            }
            else
            {
                latest = snapshot;
            }
        }

        return new LatestSnapshot { Snapshot = latest, DatedAhead = ahead, Damaged = damaged, Readable = readable, Now = now };
    }

    /// <summary>The first few of <paramref name="keys"/> as IDs of 12 digits; names that are not hexadecimal (anyone can write one) are left out.</summary>
    private static string Candidates(List<string> keys)
    {
        var ids = keys.Select(k => k[RepositoryLayout.SnapshotsPrefix.Length..]).Where(id => id.Length >= 12 && id.All(char.IsAsciiHexDigit)).Order(StringComparer.Ordinal).ToList();
        return string.Join(", ", ids.Take(5).Select(id => id[..12])) + (ids.Count > 5 ? ", …" : string.Empty);
    }

    /// <summary>Stores a snapshot object (after everything it references) and returns it with its ID.</summary>
    public async Task<Snapshot> SaveAsync(Snapshot snapshot, CancellationToken cancellationToken = default)
    {
        var plain = JsonSerializer.SerializeToUtf8Bytes(snapshot, SnapshotJson.Default.Snapshot);
        var stored = _blobs.Chain.Encode(plain, SnapshotObjectId);
        var id = BlobId.Sha256(stored);
        await _blobs.Target.PutAsync(RepositoryLayout.SnapshotKey(id), stored, cancellationToken).ConfigureAwait(false);
        return snapshot with { Id = id };
    }

    /// <summary>Removes a snapshot object (its data stays until pruned).</summary>
    public Task DeleteAsync(BlobId id, CancellationToken cancellationToken = default) =>
        _blobs.Target.DeleteAsync(RepositoryLayout.SnapshotKey(id), cancellationToken);

    /// <summary>
    /// Pins (<paramref name="pinned"/> true) or unpins the snapshot <paramref name="id"/>; retention never removes a
    /// pinned snapshot. Snapshot objects are immutable and named by their stored bytes, so this stores a copy with the
    /// new flag and then deletes the old object, as <c>repair snapshots</c> does, under the exclusive lock: a concurrent
    /// pin, forget or copy must not see the snapshot twice or delete the copy's original half-way. Stopped between the
    /// two steps, both objects stay (the same backup listed twice, one of them pinned); forgetting the other one tidies up.
    /// </summary>
    /// <returns>The snapshot with its new ID; unchanged, with the same ID, when its flag already was <paramref name="pinned"/>.</returns>
    /// <exception cref="SnapshotNotFoundException">No snapshot has this ID (any more).</exception>
    /// <exception cref="RepositoryLockedException">Another process holds a lock on the repository.</exception>
    public async Task<Snapshot> SetPinnedAsync(BlobId id, bool pinned, CancellationToken cancellationToken = default)
    {
        await using var operation = await _beginExclusive(pinned ? "pin" : "unpin", cancellationToken).ConfigureAwait(false);
        Snapshot current;
        try
        {
            // Read again under the lock: the caller's copy may have been pinned, forgotten or replaced meanwhile.
            current = await LoadSnapshotObjectAsync(RepositoryLayout.SnapshotKey(id), cancellationToken).ConfigureAwait(false);
        }
        catch (RepositoryException ex) when (ex.InnerException is BackupObjectNotFoundException)
        {
            throw new SnapshotNotFoundException($"Snapshot {id.ToShortString()} is not in the repository (any more).", id.ToString());
        }

        if (current.Pinned == pinned)
        {
            return current;
        }

        // The copy first: stopped in between, the backup is listed twice rather than lost.
        var replacement = await SaveAsync(current with { Pinned = pinned }, cancellationToken).ConfigureAwait(false);
        await DeleteAsync(id, CancellationToken.None).ConfigureAwait(false);
        return replacement;
    }

    /// <summary>Removes a snapshot object that cannot be decoded (and so has no ID to delete it by).</summary>
    internal Task DeleteDamagedAsync(string key, CancellationToken cancellationToken) => _blobs.Target.DeleteAsync(key, cancellationToken);

    /// <summary>
    /// Stores <paramref name="snapshot"/> after <paramref name="writer"/> completed. When the writer's lock may have
    /// lapsed, checks first (see the remarks on <see cref="RepositoryWriter"/>), and checks again after the put,
    /// deleting the snapshot if that check fails: the process may have been stopped during the put.
    /// </summary>
    /// <exception cref="RepositoryLockLapsedException">The lock lapsed and data the snapshot references is gone or may be deleted.</exception>
    internal async Task<Snapshot> SaveAsync(Snapshot snapshot, RepositoryWriter writer, CancellationToken cancellationToken)
    {
        await writer.EnsureLockHeldAsync(cancellationToken).ConfigureAwait(false);
        var saved = await SaveAsync(snapshot, cancellationToken).ConfigureAwait(false);
        try
        {
            await writer.EnsureLockHeldAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RepositoryLockLapsedException or OperationCanceledException)
        {
            await DeleteAsync(saved.Id, CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        return saved;
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
            stored = await _blobs.Target.ReadAllAsync(key, ObjectSizeLimits.Snapshot, cancellationToken).ConfigureAwait(false);
        }
        catch (BackupObjectNotFoundException ex)
        {
            throw new RepositoryException($"Snapshot {id.ToShortString()} was removed while being read.", ex);
        }
        catch (BackupObjectTooLargeException ex)
        {
            throw new RepositoryCorruptException($"Snapshot {id.ToShortString()} is damaged or altered: {ex.Message}", ex);
        }

        return DecodeSnapshot(stored, id, _blobs.Chain);
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
            var snapshot = JsonSerializer.Deserialize(plain, SnapshotJson.Default.Snapshot) ?? throw new JsonException("null snapshot");
            // JSON null where a list or name belongs would only fail later, far from the damaged object.
            if (snapshot.Hostname is null || snapshot.SourceKind is null || snapshot.Tags is null || snapshot.Paths is null || snapshot.Problems is null
                || snapshot.Statistics is null || snapshot.Metadata is null || snapshot.Tags.Any(t => t is null) || snapshot.Paths.Any(p => p is null)
                || snapshot.Problems.Any(p => p is null) || snapshot.Metadata.Values.Any(v => v is null))
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
}
