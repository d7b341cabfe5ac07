using System.Runtime.CompilerServices;
using System.Text;
using Backup.Core.Repository.Blobs;
using Backup.Core.Storage;

namespace Backup.Core.Repository.Records;

/// <summary>
/// Small documents an application keeps with its backups (drill results, reports' inputs), encrypted and
/// authenticated like snapshots: <c>records/KIND/ID</c>, named by the hash of the stored bytes, never modified. The
/// kind is bound into the envelope, so a record of one kind cannot be passed off as another. Records reference no
/// blobs: prune and retention leave them alone, and deleting one is the application's decision.
/// </summary>
public sealed class RecordStore
{
    /// <summary>The largest record content accepted, so a hostile object cannot make a reader allocate without bound.</summary>
    public const int MaxContentLength = 16 * 1024 * 1024;

    private readonly BlobStore _blobs;

    internal RecordStore(BlobStore blobs) => _blobs = blobs;

    /// <summary>Stores <paramref name="content"/> as a new record of <paramref name="kind"/>.</summary>
    /// <param name="kind">Lowercase letters, digits and '-', 1 to 64 characters (such as "dr-drill").</param>
    /// <param name="content">The document (UTF-8 JSON, typically), at most <see cref="MaxContentLength"/> bytes.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The stored record's ID.</returns>
    /// <exception cref="ArgumentException">The kind is not valid or the content too large.</exception>
    public async Task<BlobId> SaveAsync(string kind, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        ValidateKind(kind);
        if (content.Length > MaxContentLength)
        {
            throw new ArgumentException($"A record holds at most {MaxContentLength} bytes; this one has {content.Length}.", nameof(content));
        }

        var stored = _blobs.Chain.Encode(content.Span, ObjectIdOf(kind));
        var id = BlobId.Sha256(stored);
        await _blobs.Target.PutAsync(KeyOf(kind, id), stored, cancellationToken).ConfigureAwait(false);
        return id;
    }

    /// <summary>
    /// Reads every record of <paramref name="kind"/>. Damaged or altered objects are reported through
    /// <paramref name="onError"/> and skipped; without it they throw.
    /// </summary>
    /// <exception cref="RepositoryCorruptException">A record is damaged or altered and no <paramref name="onError"/> was given.</exception>
    public async IAsyncEnumerable<StoredRecord> ListAsync(string kind, Action<string, Exception>? onError = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ValidateKind(kind);
        var keys = new List<string>();
        await foreach (var info in _blobs.Target.ListWithinAsync(PrefixOf(kind), cancellationToken).ConfigureAwait(false))
        {
            keys.Add(info.Key);
        }

        foreach (var key in keys)
        {
            StoredRecord? record = null;
            try
            {
                record = await ReadAsync(kind, key, cancellationToken).ConfigureAwait(false);
            }
            catch (RepositoryCorruptException ex) when (onError is not null)
            {
                onError(key, ex);
            }
            catch (BackupObjectNotFoundException)
            {
                // Deleted between listing and reading: it is simply no longer there.
            }

            if (record is not null)
            {
                yield return record;
            }
        }
    }

    /// <summary>Removes a record.</summary>
    public Task DeleteAsync(string kind, BlobId id, CancellationToken cancellationToken = default)
    {
        ValidateKind(kind);
        return _blobs.Target.DeleteAsync(KeyOf(kind, id), cancellationToken);
    }

    private async Task<StoredRecord> ReadAsync(string kind, string key, CancellationToken cancellationToken)
    {
        if (!RepositoryLayout.TryParseId(key, out var id) || key != KeyOf(kind, id))
        {
            throw new RepositoryCorruptException($"'{key}' is not named like a record.");
        }

        byte[] stored;
        try
        {
            stored = await _blobs.Target.ReadAllAsync(key, MaxContentLength + 64 * 1024, cancellationToken).ConfigureAwait(false);
        }
        catch (BackupObjectTooLargeException ex)
        {
            throw new RepositoryCorruptException($"Record {id.ToShortString()} ({kind}) is damaged or altered: {ex.Message}", ex);
        }

        if (BlobId.Sha256(stored) != id)
        {
            throw new RepositoryCorruptException($"Record {id.ToShortString()} ({kind}) does not match its name: it is damaged or altered.");
        }

        try
        {
            var plain = _blobs.Chain.Decode(stored, ObjectIdOf(kind), maxDecodedLength: MaxContentLength);
            return new StoredRecord(kind, id, plain);
        }
        catch (InvalidDataException ex)
        {
            throw new RepositoryCorruptException($"Record {id.ToShortString()} ({kind}) is damaged or altered: {ex.Message}", ex);
        }
    }

    private static string PrefixOf(string kind) => RepositoryLayout.RecordsPrefix + kind + "/";

    private static string KeyOf(string kind, BlobId id) => PrefixOf(kind) + id;

    private static byte[] ObjectIdOf(string kind) => Encoding.ASCII.GetBytes("backup-sdk record v1 " + kind);

    private static void ValidateKind(string kind)
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        if (kind.Length > 64 || !kind.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-'))
        {
            throw new ArgumentException($"A record kind is 1 to 64 lowercase letters, digits and '-'; '{kind}' is not.", nameof(kind));
        }
    }
}
