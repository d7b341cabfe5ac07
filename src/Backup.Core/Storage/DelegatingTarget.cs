namespace Backup.Core.Storage;

/// <summary>Base for decorators: forwards every call to an inner target; override what the decorator changes.</summary>
/// <remarks>
/// <para>
/// Capabilities: <see cref="GetCapability{T}"/> forwards the inner target's optional capabilities, so wrapping a
/// target never hides what it can do. A staging capability (<see cref="IStagingTarget"/>) is routed through the
/// decorator: a staged object's commit goes through <see cref="CommitStagedAsync"/>, which a decorator that watches
/// or changes puts overrides. So is a retention-locking capability (<see cref="IRetentionLockingTarget"/>): its
/// confirmation and extension requests go through <see cref="ConfirmRetentionLockAsync"/> and
/// <see cref="ExtendRetentionAsync"/>, so that a retry or counting decorator
/// sees it like any other request.
/// </para>
/// <para>
/// Ownership: a decorator disposes its inner target only when it was created with <c>ownsInner: true</c> (the
/// default is <see langword="false"/>: whoever created the inner target disposes it, as with a
/// <see cref="Stream"/> wrapper's <c>leaveOpen</c>). Disposing a decorator that does not own its inner target does nothing.
/// </para>
/// </remarks>
public abstract class DelegatingTarget : IBackupTarget, IAsyncDisposable
{
    private readonly bool _ownsInner;
    private int _disposed;

    /// <summary>Wraps <paramref name="inner"/>, which its creator goes on owning.</summary>
    protected DelegatingTarget(IBackupTarget inner)
        : this(inner, ownsInner: false)
    {
    }

    /// <summary>Wraps <paramref name="inner"/>; when <paramref name="ownsInner"/> is true, disposing this disposes it.</summary>
    protected DelegatingTarget(IBackupTarget inner, bool ownsInner)
    {
        Inner = inner ?? throw new ArgumentNullException(nameof(inner));
        _ownsInner = ownsInner;
    }

    /// <summary>The decorated target.</summary>
    protected IBackupTarget Inner { get; }

    /// <inheritdoc />
    public virtual string Description => Inner.Description;

    /// <inheritdoc />
    public virtual Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default) =>
        Inner.PutAsync(key, content, cancellationToken);

    /// <inheritdoc />
    public virtual ValueTask<int> ReadAsync(string key, long offset, Memory<byte> destination, CancellationToken cancellationToken = default) =>
        Inner.ReadAsync(key, offset, destination, cancellationToken);

    /// <inheritdoc />
    public virtual IAsyncEnumerable<BackupObjectInfo> ListAsync(string prefix, CancellationToken cancellationToken = default) =>
        Inner.ListAsync(prefix, cancellationToken);

    /// <inheritdoc />
    public virtual Task DeleteAsync(string key, CancellationToken cancellationToken = default) =>
        Inner.DeleteAsync(key, cancellationToken);

    /// <inheritdoc />
    public virtual Task<BackupObjectInfo?> StatAsync(string key, CancellationToken cancellationToken = default) =>
        Inner.StatAsync(key, cancellationToken);

    /// <inheritdoc />
    public virtual T? GetCapability<T>() where T : class
    {
        if (this is T self)
        {
            return self;
        }

        if (typeof(T) == typeof(IStagingTarget))
        {
            return Inner.GetCapability<IStagingTarget>() is { } staging ? (T)(object)new StagingThrough(this, staging) : null;
        }

        if (typeof(T) == typeof(IRetentionLockingTarget))
        {
            return Inner.GetCapability<IRetentionLockingTarget>() is { } locking ? (T)(object)new RetentionLockingThrough(this, locking) : null;
        }

        return Inner.GetCapability<T>();
    }

    /// <summary>
    /// Commits an object staged on the inner target: called for every commit of an object begun through this
    /// decorator's <see cref="IStagingTarget"/> capability. The default commits it; override to watch or fail commits
    /// as <see cref="PutAsync"/> is watched or failed.
    /// </summary>
    /// <param name="key">The key the object is committed under.</param>
    /// <param name="staged">The inner target's staged object.</param>
    /// <param name="cancellationToken">Cancels the commit.</param>
    protected virtual Task CommitStagedAsync(string key, IStagedObject staged, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(staged);
        return staged.CommitAsync(key, cancellationToken);
    }

    /// <summary>
    /// Asks the inner target's retention-locking capability to confirm the storage keeps its lock: called for every
    /// <see cref="IRetentionLockingTarget.ConfirmRetentionLockAsync"/> made through this decorator. The default asks
    /// it; override to retry or count the request as other requests are.
    /// </summary>
    /// <param name="locking">The inner target's retention-locking capability.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    protected virtual Task ConfirmRetentionLockAsync(IRetentionLockingTarget locking, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(locking);
        return locking.ConfirmRetentionLockAsync(cancellationToken);
    }

    /// <summary>
    /// Asks the inner target's retention-locking capability to extend one object's lock: called for every
    /// <see cref="IRetentionLockingTarget.ExtendRetentionAsync"/> made through this decorator. The default asks it;
    /// override to retry or count the request as other requests are.
    /// </summary>
    /// <param name="locking">The inner target's retention-locking capability.</param>
    /// <param name="key">The object's key.</param>
    /// <param name="retainUntil">The date the lock must run until at least.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    protected virtual Task<RetentionExtension> ExtendRetentionAsync(IRetentionLockingTarget locking, string key, DateTimeOffset retainUntil, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(locking);
        return locking.ExtendRetentionAsync(key, retainUntil, cancellationToken);
    }

    /// <summary>Disposes the inner target when this decorator owns it (see the remarks on ownership); otherwise does nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await DisposeAsyncCore().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases what the decorator holds; the default disposes the inner target when it is owned.</summary>
    protected virtual async ValueTask DisposeAsyncCore()
    {
        if (!_ownsInner)
        {
            return;
        }

        switch (Inner)
        {
            case IAsyncDisposable asyncDisposable:
                await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                break;
            case IDisposable disposable:
                disposable.Dispose();
                break;
        }
    }

    /// <summary>The inner target's staging, seen through the decorator: every call but staging goes to the decorator.</summary>
    private sealed class StagingThrough(DelegatingTarget decorator, IStagingTarget staging) : IStagingTarget
    {
        public string Description => decorator.Description;

        public async Task<IStagedObject> BeginObjectAsync(CancellationToken cancellationToken = default) =>
            new StagedThrough(decorator, await staging.BeginObjectAsync(cancellationToken).ConfigureAwait(false));

        public Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default) => decorator.PutAsync(key, content, cancellationToken);

        public ValueTask<int> ReadAsync(string key, long offset, Memory<byte> destination, CancellationToken cancellationToken = default) =>
            decorator.ReadAsync(key, offset, destination, cancellationToken);

        public IAsyncEnumerable<BackupObjectInfo> ListAsync(string prefix, CancellationToken cancellationToken = default) => decorator.ListAsync(prefix, cancellationToken);

        public Task DeleteAsync(string key, CancellationToken cancellationToken = default) => decorator.DeleteAsync(key, cancellationToken);

        public Task<BackupObjectInfo?> StatAsync(string key, CancellationToken cancellationToken = default) => decorator.StatAsync(key, cancellationToken);

        public T? GetCapability<T>() where T : class => this as T ?? decorator.GetCapability<T>();
    }

    /// <summary>The inner target's retention locking, seen through the decorator: the confirmation and every other call go to the decorator.</summary>
    private sealed class RetentionLockingThrough(DelegatingTarget decorator, IRetentionLockingTarget locking) : IRetentionLockingTarget
    {
        public string Description => decorator.Description;

        public RetentionLock? RetentionLock => locking.RetentionLock;

        public Task ConfirmRetentionLockAsync(CancellationToken cancellationToken = default) => decorator.ConfirmRetentionLockAsync(locking, cancellationToken);

        public Task<RetentionExtension> ExtendRetentionAsync(string key, DateTimeOffset retainUntil, CancellationToken cancellationToken = default) =>
            decorator.ExtendRetentionAsync(locking, key, retainUntil, cancellationToken);

        public Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default) => decorator.PutAsync(key, content, cancellationToken);

        public ValueTask<int> ReadAsync(string key, long offset, Memory<byte> destination, CancellationToken cancellationToken = default) =>
            decorator.ReadAsync(key, offset, destination, cancellationToken);

        public IAsyncEnumerable<BackupObjectInfo> ListAsync(string prefix, CancellationToken cancellationToken = default) => decorator.ListAsync(prefix, cancellationToken);

        public Task DeleteAsync(string key, CancellationToken cancellationToken = default) => decorator.DeleteAsync(key, cancellationToken);

        public Task<BackupObjectInfo?> StatAsync(string key, CancellationToken cancellationToken = default) => decorator.StatAsync(key, cancellationToken);

        public T? GetCapability<T>() where T : class => this as T ?? decorator.GetCapability<T>();
    }

    /// <summary>An inner staged object whose commit goes through the decorator.</summary>
    private sealed class StagedThrough(DelegatingTarget decorator, IStagedObject inner) : IStagedObject
    {
        public long Length => inner.Length;

        public ValueTask AppendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) => inner.AppendAsync(data, cancellationToken);

        public Task CommitAsync(string key, CancellationToken cancellationToken = default) => decorator.CommitStagedAsync(key, inner, cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
