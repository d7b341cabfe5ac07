namespace Backup.Core.Storage;

/// <summary>Base for decorators: forwards every call to an inner target; override what the decorator changes.</summary>
public abstract class DelegatingTarget : IBackupTarget
{
    /// <summary>Wraps <paramref name="inner"/>.</summary>
    protected DelegatingTarget(IBackupTarget inner) => Inner = inner ?? throw new ArgumentNullException(nameof(inner));

    /// <summary>The decorated target.</summary>
    protected IBackupTarget Inner { get; }

    /// <inheritdoc />
    public virtual string Description => Inner.Description;

    /// <inheritdoc />
    public virtual Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default) =>
        Inner.PutAsync(key, content, cancellationToken);

    /// <inheritdoc />
    public virtual Task<byte[]> GetAsync(string key, CancellationToken cancellationToken = default) =>
        Inner.GetAsync(key, cancellationToken);

    /// <inheritdoc />
    public virtual Task<byte[]> GetAsync(string key, long maxLength, CancellationToken cancellationToken = default) =>
        Inner.GetAsync(key, maxLength, cancellationToken);

    /// <inheritdoc />
    public virtual Task<byte[]> GetRangeAsync(string key, long offset, int length, CancellationToken cancellationToken = default) =>
        Inner.GetRangeAsync(key, offset, length, cancellationToken);

    /// <inheritdoc />
    public virtual Task ReadRangeAsync(string key, long offset, Memory<byte> destination, CancellationToken cancellationToken = default) =>
        Inner.ReadRangeAsync(key, offset, destination, cancellationToken);

    /// <inheritdoc />
    public virtual IAsyncEnumerable<BackupObjectInfo> ListAsync(string prefix, CancellationToken cancellationToken = default) =>
        Inner.ListAsync(prefix, cancellationToken);

    /// <inheritdoc />
    public virtual Task DeleteAsync(string key, CancellationToken cancellationToken = default) =>
        Inner.DeleteAsync(key, cancellationToken);

    /// <inheritdoc />
    public virtual Task<BackupObjectInfo?> StatAsync(string key, CancellationToken cancellationToken = default) =>
        Inner.StatAsync(key, cancellationToken);
}
