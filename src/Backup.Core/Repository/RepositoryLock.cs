using System.Security.Cryptography;
using System.Text.Json;
using Backup.Core.Storage;

namespace Backup.Core.Repository;

/// <summary>
/// A lock object in <c>locks/</c>. Backups, restores and checks hold shared locks, which never block each other;
/// operations that delete data (prune, repair) hold an exclusive lock, which no other lock may coexist with.
/// A holder refreshes its lock while it works; a lock not refreshed before it expires is stale and ignored, so a
/// crashed process blocks others only until its lock expires, never forever.
/// </summary>
/// <remarks>
/// Acquiring writes the lock first and then looks for conflicting ones; when two processes race, both see each
/// other and both back off (safe, and either may retry). Lock times use the writer's clock: keep clocks within
/// a few minutes of each other, well under <see cref="DefaultTimeToLive"/>.
/// </remarks>
public sealed class RepositoryLock : IAsyncDisposable
{
    /// <summary>How long a lock lives unless refreshed.</summary>
    public static readonly TimeSpan DefaultTimeToLive = TimeSpan.FromMinutes(15);

    private readonly IBackupTarget _target;
    private readonly TimeProvider _time;
    private readonly TimeSpan _timeToLive;
    private readonly CancellationTokenSource _stop = new();
    private readonly PeriodicTimer _timer;
    private readonly Task _refresher;
    private LockObject _lock;

    private RepositoryLock(IBackupTarget target, string key, LockObject value, TimeSpan timeToLive, TimeProvider time)
    {
        _target = target;
        Key = key;
        _lock = value;
        _timeToLive = timeToLive;
        _time = time;
        _timer = new PeriodicTimer(timeToLive / 3, time);
        _refresher = Task.Run(RefreshLoopAsync);
    }

    /// <summary>The lock object's key.</summary>
    public string Key { get; }

    /// <summary>Whether this is an exclusive lock.</summary>
    public bool IsExclusive => _lock.Exclusive;

    /// <summary>Takes a lock on the repository in <paramref name="target"/>.</summary>
    /// <exception cref="RepositoryLockedException">A conflicting, live lock exists.</exception>
    public static async Task<RepositoryLock> AcquireAsync(IBackupTarget target, bool exclusive, string purpose, TimeSpan? timeToLive = null, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        var time = timeProvider ?? TimeProvider.System;
        var ttl = timeToLive ?? DefaultTimeToLive;
        var now = time.GetUtcNow();
        var value = new LockObject
        {
            Exclusive = exclusive,
            Hostname = Environment.MachineName,
            ProcessId = Environment.ProcessId,
            Purpose = purpose,
            Refreshed = now,
            Expires = now + ttl,
        };
        var key = RepositoryLayout.LocksPrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        await target.PutAsync(key, Serialize(value), cancellationToken).ConfigureAwait(false);
        try
        {
            await foreach (var (otherKey, other) in ReadLocksAsync(target, cancellationToken).ConfigureAwait(false))
            {
                if (otherKey != key && other.Expires > time.GetUtcNow() && (exclusive || other.Exclusive))
                {
                    throw new RepositoryLockedException(
                        $"The repository in {target.Description} is locked{(other.Exclusive ? " exclusively" : "")} by {other.Purpose ?? "another process"} on {other.Hostname} (pid {other.ProcessId}) until {other.Expires:u} unless refreshed; try again later, or remove '{otherKey}' if that process is gone.");
                }
            }
        }
        catch
        {
            await target.DeleteAsync(key, CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        return new RepositoryLock(target, key, value, ttl, time);
    }

    /// <summary>Lists every lock object with its content (unreadable ones are skipped).</summary>
    public static async IAsyncEnumerable<(string Key, LockObject Lock)> ReadLocksAsync(IBackupTarget target, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var keys = new List<string>();
        await foreach (var info in target.ListAsync(RepositoryLayout.LocksPrefix, cancellationToken).ConfigureAwait(false))
        {
            keys.Add(info.Key);
        }

        foreach (var key in keys)
        {
            LockObject? value;
            try
            {
                value = JsonSerializer.Deserialize(await target.GetAsync(key, ObjectSizeLimits.Lock, cancellationToken).ConfigureAwait(false), RepositoryJson.Default.LockObject);
            }
            catch (Exception ex) when (ex is JsonException or BackupObjectNotFoundException or BackupObjectTooLargeException)
            {
                continue;
            }

            if (value is not null)
            {
                yield return (key, value);
            }
        }
    }

    /// <summary>Deletes locks that expired (their holders are gone); returns how many.</summary>
    public static async Task<int> RemoveStaleLocksAsync(IBackupTarget target, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        var now = (timeProvider ?? TimeProvider.System).GetUtcNow();
        var removed = 0;
        await foreach (var (key, value) in ReadLocksAsync(target, cancellationToken).ConfigureAwait(false))
        {
            if (value.Expires <= now)
            {
                await target.DeleteAsync(key, cancellationToken).ConfigureAwait(false);
                removed++;
            }
        }

        return removed;
    }

    /// <summary>Stops refreshing and deletes the lock.</summary>
    public async ValueTask DisposeAsync()
    {
        // Disposing the timer ends the loop's wait quietly (a cancelled wait would throw, and an exception's stack
        // trace costs a native build milliseconds and memory at the end of every command); the token stops a
        // refresh already under way.
        _timer.Dispose();
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _refresher.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // A refresh was under way.
        }

        await _target.DeleteAsync(Key, CancellationToken.None).ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task RefreshLoopAsync()
    {
        while (await _timer.WaitForNextTickAsync().ConfigureAwait(false))
        {
            var now = _time.GetUtcNow();
            _lock = _lock with { Refreshed = now, Expires = now + _timeToLive };
            try
            {
                await _target.PutAsync(Key, Serialize(_lock), _stop.Token).ConfigureAwait(false);
            }
            catch (BackupTargetException)
            {
                // A missed refresh is retried on the next tick; the lock only lapses after several misses.
            }
        }
    }

    private static byte[] Serialize(LockObject value) => JsonSerializer.SerializeToUtf8Bytes(value, RepositoryJson.Default.LockObject);
}
