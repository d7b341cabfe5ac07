using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Backup.Core.Storage;

namespace Backup.Core.Repository.Locks;

/// <summary>
/// A lock object in <c>locks/</c>. Backups, restores and checks hold shared locks, which never block each other;
/// operations that delete data (prune, repair) hold an exclusive lock, which no other lock may coexist with.
/// A holder refreshes its lock while it works; a lock not refreshed before it expires is stale and ignored, so a
/// crashed process blocks others only until its lock expires, never forever. A lock of a process on this host that
/// no longer runs (told apart from a later process with the same id by its start time and, on Linux, the boot) is
/// stale at once; locks of other hosts only expire.
/// </summary>
/// <remarks>
/// Acquiring writes the lock first and then looks for conflicting ones; when two processes race, both see each
/// other and both back off (safe, and either may retry). Lock times use the writer's clock: keep clocks within
/// a few minutes of each other, well under <see cref="DefaultTimeToLive"/>.
/// <para>
/// Lock objects are encrypted and authenticated under the repository's master key, so only holders of a key can
/// take a lock or read who holds one. A lock object that does not authenticate (written by an older version as plain
/// JSON, or forged) is ignored and reported through <see cref="RepositoryLockOptions.UnauthenticatedLockFound"/>.
/// </para>
/// <para>
/// A holder that stops (a suspended laptop, a paused VM, SIGSTOP) for longer than the lock's lifetime loses it
/// without knowing: others may prune meanwhile. So the lock keeps track of whether it may have lapsed: on the
/// monotonic clock since its last successful write, on the wall clock against the <c>expires</c> it wrote (a
/// suspended machine's monotonic clock may not advance), and through failed refreshes or its object disappearing.
/// Writers check it before storing an index or a snapshot (see RepositoryWriter).
/// </para>
/// </remarks>
internal sealed class RepositoryLock : IAsyncDisposable
{
    /// <summary>How long a lock lives unless refreshed.</summary>
    public static readonly TimeSpan DefaultTimeToLive = RepositoryLockOptions.DefaultTimeToLive;

    // Decoded lock objects are a few hundred bytes; anything larger is not one.
    private const int MaxLockObjectLength = 64 * 1024;

    private readonly RepositoryLocks _locks;
    private readonly TimeProvider _time;
    private readonly TimeSpan _timeToLive;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly Lock _state = new();
    private readonly PeriodicTimer _timer;
    private readonly Task _refresher;
    private LockObject _lock;
    private long _writtenAt;
    private string? _lapse;

    private RepositoryLock(RepositoryLocks locks, string key, LockObject value, long writtenAt, TimeSpan timeToLive, TimeProvider time)
    {
        _locks = locks;
        Key = key;
        _lock = value;
        _writtenAt = writtenAt;
        _timeToLive = timeToLive;
        _time = time;
        _timer = new PeriodicTimer(timeToLive / 3, time);
        _refresher = Task.Run(RefreshLoopAsync);
    }

    /// <summary>The lock object's key.</summary>
    public string Key { get; }

    /// <summary>Whether this is an exclusive lock.</summary>
    public bool IsExclusive => _lock.Exclusive;

    /// <summary>
    /// Others may consider the lock expired once less than this is left of it on this process's clocks: a third of
    /// its lifetime, which also covers clocks a few minutes apart at the default lifetime.
    /// </summary>
    private TimeSpan SafetyMargin => _timeToLive / 3;

    /// <summary>Takes a lock on the repository of <paramref name="locks"/>, for <see cref="RepositoryLockOptions.TimeToLive"/>.</summary>
    /// <exception cref="RepositoryLockedException">A conflicting, live lock exists.</exception>
    public static async Task<RepositoryLock> AcquireAsync(RepositoryLocks locks, bool exclusive, string purpose, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(locks);
        var target = locks.Target;
        var time = timeProvider ?? TimeProvider.System;
        var ttl = locks.Locking.TimeToLive;
        var writtenAt = time.GetTimestamp();
        var now = time.GetUtcNow();
        var process = ProcessIdentity.Current();
        var value = new LockObject
        {
            Exclusive = exclusive,
            Hostname = Environment.MachineName,
            ProcessId = Environment.ProcessId,
            BootId = process?.BootId,
            ProcessStart = process?.StartTime,
            Purpose = purpose,
            Taken = now,
            Refreshed = now,
            Expires = now + ttl,
        };
        var key = RepositoryLayout.LocksPrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        await target.PutAsync(key, Encode(locks, key, value), cancellationToken).ConfigureAwait(false);
        try
        {
            await foreach (var (otherKey, other) in ReadLocksAsync(locks, cancellationToken).ConfigureAwait(false))
            {
                if (otherKey == key)
                {
                    continue;
                }

                if (WhyStale(other, time.GetUtcNow(), out var holderGone) is { } stale)
                {
                    await IgnoreStaleAsync(locks, otherKey, other, stale, remove: holderGone, cancellationToken).ConfigureAwait(false);
                }
                else if (exclusive || other.Exclusive)
                {
                    var holder = other.Purpose is null ? "another process" : $"'{other.Purpose}'";
                    var since = other.Taken is { } taken ? $", since {taken:u}" : "";
                    throw new RepositoryLockedException(
                        $"The repository in {target.Description} is locked{(other.Exclusive ? " exclusively" : "")} by {holder} on host {other.Hostname}, pid {other.ProcessId}{since}, until {other.Expires:u} unless refreshed.")
                    {
                        LockKey = otherKey,
                        IsExclusive = other.Exclusive,
                        Purpose = other.Purpose,
                        Hostname = other.Hostname,
                        ProcessId = other.ProcessId,
                        Expires = other.Expires,
                        Since = other.Taken,
                        IsOnThisHost = IsThisHost(other),
                    };
                }
            }
        }
        catch
        {
            await target.DeleteAsync(key, CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        return new RepositoryLock(locks, key, value, writtenAt, ttl, time);
    }

    /// <summary>
    /// Lists every lock object that authenticates under the repository's key, with its content. Unauthenticated ones
    /// are skipped and reported through <see cref="RepositoryLockOptions.UnauthenticatedLockFound"/>; ones deleted
    /// while being listed are skipped.
    /// </summary>
    public static async IAsyncEnumerable<(string Key, LockObject Lock)> ReadLocksAsync(RepositoryLocks locks, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(locks);
        var keys = new List<string>();
        await foreach (var info in locks.Target.ListWithinAsync(RepositoryLayout.LocksPrefix, cancellationToken).ConfigureAwait(false))
        {
            keys.Add(info.Key);
        }

        foreach (var key in keys)
        {
            byte[]? stored;
            try
            {
                stored = await locks.Target.ReadAllAsync(key, ObjectSizeLimits.Lock, cancellationToken).ConfigureAwait(false);
            }
            catch (BackupObjectTooLargeException)
            {
                // Larger than any lock this library writes: reported below as a lock that does not authenticate.
                stored = null;
            }
            catch (BackupObjectNotFoundException)
            {
                continue;
            }

            if (stored is not null && TryDecode(locks, key, stored) is { } value)
            {
                yield return (key, value);
            }
            else
            {
                locks.Locking.UnauthenticatedLockFound?.Invoke(
                    $"Lock object '{BackupKeys.Printable(key)}' in {locks.Target.Description} does not authenticate under the repository's key: it was written as " +
                    "plain JSON by an older version, or forged or damaged by someone with access to the storage. It is ignored (it blocks nothing and " +
                    "protects nothing); delete it once no older version of this tool works on the locks.");
            }
        }
    }

    /// <summary>
    /// Deletes authenticated locks that are stale (expired, or held by a process on this host that no longer runs);
    /// returns them. Unauthenticated ones are reported, not deleted.
    /// </summary>
    public static Task<IReadOnlyList<RepositoryLockInfo>> RemoveStaleLocksAsync(RepositoryLocks locks, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default) =>
        RemoveAsync(locks, all: false, timeProvider ?? TimeProvider.System, cancellationToken);

    /// <summary>
    /// Deletes every authenticated lock, live or not (for an operator who knows their holders are gone); returns them.
    /// Unauthenticated ones are reported, not deleted.
    /// </summary>
    public static Task<IReadOnlyList<RepositoryLockInfo>> RemoveAllLocksAsync(RepositoryLocks locks, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default) =>
        RemoveAsync(locks, all: true, timeProvider ?? TimeProvider.System, cancellationToken);

    /// <summary>Every authenticated lock, each with why it is stale (null while it is live); nothing is removed.</summary>
    public static async Task<IReadOnlyList<RepositoryLockInfo>> ListLocksAsync(RepositoryLocks locks, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(locks);
        var time = timeProvider ?? TimeProvider.System;
        var found = new List<RepositoryLockInfo>();
        await foreach (var (key, value) in ReadLocksAsync(locks, cancellationToken).ConfigureAwait(false))
        {
            found.Add(Describe(key, value, WhyStale(value, time.GetUtcNow(), out _)));
        }

        return found;
    }

    /// <summary>
    /// Why <paramref name="value"/> no longer protects anything at <paramref name="now"/>, or null while it is live;
    /// <paramref name="holderGone"/> tells whether its process is certainly gone (not merely late to refresh).
    /// </summary>
    internal static string? WhyStale(LockObject value, DateTimeOffset now, out bool holderGone)
    {
        holderGone = false;
        var recorded = value.ProcessStart is { } start ? new ProcessIdentity(value.BootId, start) : null;
        if (IsThisHost(value) && ProcessIdentity.WhyGone(value.ProcessId, recorded) is { } gone)
        {
            holderGone = true;
            return gone + " on this host";
        }

        return value.Expires <= now ? $"it expired at {value.Expires:u}" : null;
    }

    private static bool IsThisHost(LockObject value) => string.Equals(value.Hostname, Environment.MachineName, StringComparison.OrdinalIgnoreCase);

    private static async Task<IReadOnlyList<RepositoryLockInfo>> RemoveAsync(RepositoryLocks locks, bool all, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(locks);
        var removed = new List<RepositoryLockInfo>();
        await foreach (var (key, value) in ReadLocksAsync(locks, cancellationToken).ConfigureAwait(false))
        {
            var stale = WhyStale(value, time.GetUtcNow(), out _);
            if (all || stale is not null)
            {
                await locks.Target.DeleteAsync(key, cancellationToken).ConfigureAwait(false);
                removed.Add(Describe(key, value, stale));
            }
        }

        return removed;
    }

    private static RepositoryLockInfo Describe(string key, LockObject value, string? stale) => new()
    {
        Key = key,
        IsExclusive = value.Exclusive,
        Purpose = value.Purpose,
        Hostname = value.Hostname,
        ProcessId = value.ProcessId,
        Taken = value.Taken,
        Expires = value.Expires,
        StaleReason = stale,
    };

    /// <summary>Reports a stale lock found while taking one, and deletes it when its holder is certainly gone and the storage lets us.</summary>
    private static async Task IgnoreStaleAsync(RepositoryLocks locks, string key, LockObject value, string reason, bool remove, CancellationToken cancellationToken)
    {
        var outcome = "ignored";
        if (remove)
        {
            try
            {
                await locks.Target.DeleteAsync(key, cancellationToken).ConfigureAwait(false);
                outcome = "removed";
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                outcome = $"ignored (removing it failed: {ex.Message})";
            }
        }

        locks.Locking.StaleLockFound?.Invoke(
            $"Stale lock '{BackupKeys.Printable(key)}' of '{BackupKeys.Printable(value.Purpose ?? "?")}' on host {BackupKeys.Printable(value.Hostname ?? "?")}, pid {value.ProcessId} ({reason}): {outcome}.");
    }

    /// <summary>
    /// Why the lock may no longer protect this process (others may have found it expired at some point since it was
    /// taken), or null while it certainly does. Once a refresh came too late, failed, or found the lock object gone,
    /// the lock is lapsed for good: whatever happened in that gap stays possible.
    /// </summary>
    internal string? MayHaveLapsed()
    {
        lock (_state)
        {
            return _lapse ?? ExpiryConcern(_writtenAt, _lock.Expires);
        }
    }

    /// <summary>
    /// Makes the lock hold again after it may have lapsed: rewrites it (so a prune starting from now on sees it), then
    /// fails when an exclusive lock (a prune or repair that may have run while this one had lapsed) is live. The caller
    /// must then check that what it references still exists: a prune that already finished leaves no lock behind.
    /// </summary>
    /// <exception cref="RepositoryLockLapsedException">An exclusive lock is live.</exception>
    internal async Task ReassertAsync(CancellationToken cancellationToken)
    {
        await RenewAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var (otherKey, other) in ReadLocksAsync(_locks, cancellationToken).ConfigureAwait(false))
        {
            if (otherKey != Key && other.Exclusive && WhyStale(other, _time.GetUtcNow(), out _) is null)
            {
                throw new RepositoryLockLapsedException(
                    $"This {_lock.Purpose}'s lock on the repository in {_locks.Target.Description} lapsed ({MayHaveLapsed()}), and {other.Purpose ?? "an exclusive operation"} " +
                    $"on {other.Hostname} (pid {other.ProcessId}) holds the repository now, so data this {_lock.Purpose} references may be deleted. Nothing was saved; run it again.");
            }
        }
    }

    /// <summary>
    /// Stops refreshing and deletes the lock; a delete that fails is reported through
    /// <see cref="RepositoryLockOptions.LockNotRemoved"/>, never thrown.
    /// </summary>
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

        try
        {
            await _locks.Target.DeleteAsync(Key, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The lock is released at the end of an operation, also one that failed because the storage went away: thrown
            // from here, this error would replace the one that says what failed. A lock left behind only holds off
            // exclusive operations until it is stale, so it is reported, not thrown.
            _locks.Locking.LockNotRemoved?.Invoke(
                $"This {BackupKeys.Printable(_lock.Purpose ?? "operation")}'s lock '{BackupKeys.Printable(Key)}' on the repository in {_locks.Target.Description} " +
                $"could not be removed ({ex.Message}). It holds off prune and repair until it is stale: at once for a command on this host, " +
                $"else when it expires at {_lock.Expires:yyyy-MM-dd HH:mm:ss}Z; unlocking removes it then.");
        }
        finally
        {
            _stop.Dispose();
            _writeGate.Dispose();
        }
    }

    private async Task RefreshLoopAsync()
    {
        while (await _timer.WaitForNextTickAsync().ConfigureAwait(false))
        {
            try
            {
                await RenewAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The next tick tries again, but this gap may already have let a prune in: writers must check.
                MarkLapsed($"refreshing it failed: {ex.Message}");
            }
        }
    }

    /// <summary>Rewrites the lock with a new expiry; marks it lapsed when the write came too late or the object was gone.</summary>
    private async Task RenewAsync(CancellationToken cancellationToken)
    {
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (await _locks.Target.StatAsync(Key, cancellationToken).ConfigureAwait(false) is null)
            {
                MarkLapsed("its lock object was removed, by a process that found it expired or by hand");
            }

            var startedAt = _time.GetTimestamp();
            var now = _time.GetUtcNow();
            LockObject previous;
            lock (_state)
            {
                previous = _lock;
            }

            var renewed = previous with { Refreshed = now, Expires = now + _timeToLive };
            await _locks.Target.PutAsync(Key, Encode(_locks, Key, renewed), cancellationToken).ConfigureAwait(false);
            lock (_state)
            {
                // Judged once the write is done: if the previous write may have expired by now, others may have seen no
                // live lock in between.
                if (ExpiryConcern(_writtenAt, _lock.Expires) is { } late)
                {
                    _lapse ??= late;
                }

                _lock = renewed;
                _writtenAt = startedAt;
            }
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>Why a lock written at monotonic <paramref name="writtenAt"/> with <paramref name="expires"/> may have expired by now, or null.</summary>
    private string? ExpiryConcern(long writtenAt, DateTimeOffset expires)
    {
        var elapsed = _time.GetElapsedTime(writtenAt);
        if (elapsed >= _timeToLive - SafetyMargin)
        {
            return $"it was last written {elapsed.TotalSeconds:0.#} s ago and lives {_timeToLive.TotalSeconds:0.#} s unless refreshed: the process was stopped or suspended, or storage was slow";
        }

        var now = _time.GetUtcNow();
        if (now >= expires - SafetyMargin)
        {
            return $"the clock reads {now:u}, and the lock expires at {expires:u} unless refreshed: the machine was suspended, or its clock jumped";
        }

        return null;
    }

    private void MarkLapsed(string reason)
    {
        lock (_state)
        {
            _lapse ??= reason;
        }
    }

    /// <summary>The associated data of a lock object: bound to its name, so a lock cannot be passed off under another.</summary>
    private static byte[] ObjectId(string key) => Encoding.UTF8.GetBytes("backup-sdk lock v1:" + key);

    /// <summary>A lock object as stored: JSON sealed under the repository's key, bound to its name.</summary>
    internal static byte[] Encode(RepositoryLocks locks, string key, LockObject value) =>
        locks.Chain.Encode(JsonSerializer.SerializeToUtf8Bytes(value, LockJson.Default.LockObject), ObjectId(key));

    private static LockObject? TryDecode(RepositoryLocks locks, string key, byte[] stored)
    {
        try
        {
            return JsonSerializer.Deserialize(locks.Chain.Decode(stored, ObjectId(key), MaxLockObjectLength), LockJson.Default.LockObject);
        }
        catch (Exception ex) when (ex is InvalidDataException or JsonException)
        {
            return null;
        }
    }
}
