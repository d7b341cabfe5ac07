using System.Collections.Concurrent;
using Backup.Core.Storage;

namespace Backup.Providers.Targets.Tests;

/// <summary>
/// Simulates S3 Object Lock / Azure immutability on top of any target, for emulators that lack it: puts under the
/// locked prefixes get a retention date, and deletes (or overwrites) before that date throw
/// <see cref="BackupObjectLockedException"/>, as the real providers map the services' refusals. With
/// <see cref="WritesLock"/> it is also an <see cref="IRetentionLockingTarget"/> (a repository created through it records
/// the lock, and <c>retention-lock extend</c> can extend locks), on the test's clock.
/// </summary>
public sealed class ObjectLockSimulatingTarget(IBackupTarget inner, TimeSpan retainFor, TimeProvider time, params string[] lockedPrefixes) : DelegatingTarget(inner), IRetentionLockingTarget
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _retainUntil = new(StringComparer.Ordinal);

    /// <summary>The lock this target reports it writes, making it a retention-locking target; null (default) for none.</summary>
    public RetentionLock? WritesLock { get; init; }

    RetentionLock? IRetentionLockingTarget.RetentionLock => WritesLock;

    /// <summary>The date <paramref name="key"/> is locked until, or null when it never was.</summary>
    public DateTimeOffset? RetainUntil(string key) => _retainUntil.TryGetValue(key, out var until) ? until : null;

    public override T? GetCapability<T>() where T : class =>
        typeof(T) == typeof(IRetentionLockingTarget) && WritesLock is not null ? (T)(object)this : base.GetCapability<T>();

    Task IRetentionLockingTarget.ConfirmRetentionLockAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    async Task<RetentionExtension> IRetentionLockingTarget.ExtendRetentionAsync(string key, DateTimeOffset retainUntil, CancellationToken cancellationToken)
    {
        if (await Inner.StatAsync(key, cancellationToken) is null)
        {
            throw new BackupObjectNotFoundException(key, Description);
        }

        // As S3 and Azure: a lock is never shortened.
        var held = RetainUntil(key);
        if (held > retainUntil)
        {
            return new RetentionExtension { Extended = false, RetainUntil = held.Value };
        }

        _retainUntil[key] = retainUntil;
        return new RetentionExtension { Extended = true, RetainUntil = retainUntil };
    }

    public override async Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        ThrowIfLocked(key);
        await Inner.PutAsync(key, content, cancellationToken);
        if (lockedPrefixes.Any(p => key.StartsWith(p, StringComparison.Ordinal)))
        {
            _retainUntil[key] = time.GetUtcNow() + retainFor;
        }
    }

    /// <summary>Puts a retention lock on an object already stored (as a bucket default or a later policy would).</summary>
    public void Lock(string key, DateTimeOffset until) => _retainUntil[key] = until;

    public override Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        ThrowIfLocked(key);
        return Inner.DeleteAsync(key, cancellationToken);
    }

    private void ThrowIfLocked(string key)
    {
        if (_retainUntil.TryGetValue(key, out var until) && until > time.GetUtcNow())
        {
            throw new BackupObjectLockedException(key, Description, until);
        }
    }
}

/// <summary>A clock the test moves by hand.</summary>
public sealed class ManualTime(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;

    public override DateTimeOffset GetUtcNow() => Now;
}
