using System.Runtime.CompilerServices;

namespace Backup.Core.Storage;

/// <summary>
/// A decorator that counts the calls made to a target, by kind, and the bytes put and got: for benchmarks and for
/// tracing what an operation costs on a billed object store. It changes nothing else.
/// </summary>
/// <remarks>
/// One call is one <see cref="IBackupTarget"/> method call: a listing counts once however many pages the store
/// returns, and a put counts once however many parts a multipart upload sends. Place it directly around the real
/// target (inside <see cref="RetryingTarget"/>) so that every retried attempt counts. Thread-safe.
/// </remarks>
public sealed class CountingTarget : DelegatingTarget
{
    private long _puts, _gets, _lists, _deletes, _stats, _retentions, _listed, _bytesPut, _bytesGot;

    /// <summary>Wraps <paramref name="inner"/>; when <paramref name="ownsInner"/> is true, disposing this disposes it.</summary>
    public CountingTarget(IBackupTarget inner, bool ownsInner = false) : base(inner, ownsInner) { }

    /// <summary>Calls of <see cref="IBackupTarget.PutAsync"/> and commits of staged objects.</summary>
    public long Puts => Interlocked.Read(ref _puts);

    /// <summary>Calls of <see cref="IBackupTarget.ReadAsync"/>.</summary>
    public long Gets => Interlocked.Read(ref _gets);

    /// <summary>Calls of <see cref="IBackupTarget.ListAsync"/>.</summary>
    public long Lists => Interlocked.Read(ref _lists);

    /// <summary>Calls of <see cref="IBackupTarget.DeleteAsync"/>.</summary>
    public long Deletes => Interlocked.Read(ref _deletes);

    /// <summary>
    /// Calls of <see cref="IBackupTarget.StatAsync"/> and of <see cref="IRetentionLockingTarget.ConfirmRetentionLockAsync"/>,
    /// which reads the bucket's or container's properties as a stat reads an object's.
    /// </summary>
    public long Stats => Interlocked.Read(ref _stats);

    /// <summary>Calls of <see cref="IRetentionLockingTarget.ExtendRetentionAsync"/>: one request each (S3 PutObjectRetention, Azure Set Immutability Policy).</summary>
    public long RetentionExtensions => Interlocked.Read(ref _retentions);

    /// <summary>Every call of any kind.</summary>
    public long Total => Puts + Gets + Lists + Deletes + Stats + RetentionExtensions;

    /// <summary>Objects the listings returned.</summary>
    public long ObjectsListed => Interlocked.Read(ref _listed);

    /// <summary>Bytes sent by puts and staged commits (including ones that failed).</summary>
    public long BytesPut => Interlocked.Read(ref _bytesPut);

    /// <summary>Bytes returned by gets.</summary>
    public long BytesGot => Interlocked.Read(ref _bytesGot);

    /// <inheritdoc />
    public override Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _puts);
        Interlocked.Add(ref _bytesPut, content.Length);
        return Inner.PutAsync(key, content, cancellationToken);
    }

    /// <inheritdoc />
    public override async ValueTask<int> ReadAsync(string key, long offset, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _gets);
        var read = await Inner.ReadAsync(key, offset, destination, cancellationToken).ConfigureAwait(false);
        Interlocked.Add(ref _bytesGot, read);
        return read;
    }

    /// <inheritdoc />
    protected override Task CommitStagedAsync(string key, IStagedObject staged, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(staged);
        Interlocked.Increment(ref _puts);
        Interlocked.Add(ref _bytesPut, staged.Length);
        return staged.CommitAsync(key, cancellationToken);
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<BackupObjectInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _lists);
        await foreach (var item in Inner.ListAsync(prefix, cancellationToken).ConfigureAwait(false))
        {
            Interlocked.Increment(ref _listed);
            yield return item;
        }
    }

    /// <inheritdoc />
    public override Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _deletes);
        return Inner.DeleteAsync(key, cancellationToken);
    }

    /// <inheritdoc />
    public override Task<BackupObjectInfo?> StatAsync(string key, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _stats);
        return Inner.StatAsync(key, cancellationToken);
    }

    /// <inheritdoc />
    protected override Task ConfirmRetentionLockAsync(IRetentionLockingTarget locking, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(locking);
        Interlocked.Increment(ref _stats);
        return locking.ConfirmRetentionLockAsync(cancellationToken);
    }

    /// <inheritdoc />
    protected override Task<RetentionExtension> ExtendRetentionAsync(IRetentionLockingTarget locking, string key, DateTimeOffset retainUntil, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(locking);
        Interlocked.Increment(ref _retentions);
        return locking.ExtendRetentionAsync(key, retainUntil, cancellationToken);
    }

    /// <summary>One line: the calls by kind and the bytes moved.</summary>
    public override string ToString() =>
        FormattableString.Invariant($"{Total} calls (put {Puts}, get {Gets}, list {Lists}, delete {Deletes}, stat {Stats}{(RetentionExtensions > 0 ? $", retention {RetentionExtensions}" : string.Empty)}); {BytesPut / 1e6:F1} MB put, {BytesGot / 1e6:F1} MB got");
}
