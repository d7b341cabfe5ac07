using System.Collections.Concurrent;

namespace Backup.Core.Storage;

/// <summary>
/// Append-only mode for any target: deletes and overwrites are refused with <see cref="AppendOnlyViolationException"/>,
/// so this process can add backups but not remove or replace anything already stored (forget, prune and repair
/// cannot run through it). The one exception is the lock objects this process created: it must be able to refresh
/// (rewrite) and release (delete) its own locks, or every run would leave a lock behind that blocks the next one.
/// </summary>
/// <remarks>
/// This is the rule restic's rest-server applies with <c>--append-only</c> (locks may be deleted, nothing else), made
/// narrower: only locks created through this instance, never another process's lock, so a stale lock of another host
/// is left to a client that may delete. It guards against mistakes (a script that prunes from the wrong machine, a
/// bug); it is no defence against a compromised client, which can simply not use it. For that the storage must
/// refuse deletes itself (a credential without delete rights, Object Lock, an immutability policy): see
/// docs/remote-targets.md. Each put costs one stat of the key first (one request per pack of megabytes).
/// </remarks>
public sealed class AppendOnlyTarget : DelegatingTarget
{
    private readonly ConcurrentDictionary<string, byte> _ownLocks = new(StringComparer.Ordinal);

    /// <summary>Refuses deletes and overwrites on <paramref name="inner"/>; disposes it when <paramref name="ownsInner"/> is true.</summary>
    public AppendOnlyTarget(IBackupTarget inner, bool ownsInner = false)
        : base(inner, ownsInner)
    {
    }

    /// <inheritdoc />
    public override string Description => Inner.Description + " (append-only)";

    /// <inheritdoc />
    /// <exception cref="AppendOnlyViolationException">An object is already stored under <paramref name="key"/> (and it is no lock of this process).</exception>
    public override async Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        await EnsureNewAsync(key, cancellationToken).ConfigureAwait(false);
        await Inner.PutAsync(key, content, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <exception cref="AppendOnlyViolationException">Always, except for a lock object this process created.</exception>
    public override async Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!_ownLocks.ContainsKey(key))
        {
            throw new AppendOnlyViolationException(key, Inner.Description, "delete");
        }

        await Inner.DeleteAsync(key, cancellationToken).ConfigureAwait(false);
        _ownLocks.TryRemove(key, out _);
    }

    /// <inheritdoc />
    protected override async Task CommitStagedAsync(string key, IStagedObject staged, CancellationToken cancellationToken)
    {
        await EnsureNewAsync(key, cancellationToken).ConfigureAwait(false);
        await base.CommitStagedAsync(key, staged, cancellationToken).ConfigureAwait(false);
    }

    private async Task EnsureNewAsync(string key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (_ownLocks.ContainsKey(key))
        {
            return;
        }

        if (await Inner.StatAsync(key, cancellationToken).ConfigureAwait(false) is not null)
        {
            throw new AppendOnlyViolationException(key, Inner.Description, "overwrite");
        }

        if (key.StartsWith(Repository.RepositoryLayout.LocksPrefix, StringComparison.Ordinal))
        {
            _ownLocks.TryAdd(key, 0);
        }
    }
}
