using System.Collections.Concurrent;
using Backup.Core.Storage;

namespace Backup.Providers.Targets.Tests;

/// <summary>
/// Simulates S3 Object Lock / Azure immutability on top of any target, for emulators that lack it: puts under the
/// locked prefixes get a retention date, and deletes (or overwrites) before that date throw
/// <see cref="BackupObjectLockedException"/>, as the real providers map the services' refusals.
/// </summary>
public sealed class ObjectLockSimulatingTarget(IBackupTarget inner, TimeSpan retainFor, TimeProvider time, params string[] lockedPrefixes) : DelegatingTarget(inner)
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _retainUntil = new(StringComparer.Ordinal);

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
