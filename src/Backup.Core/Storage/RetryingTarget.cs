using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace Backup.Core.Storage;

/// <summary>
/// Retries calls that failed for a transient reason (a <see cref="BackupTargetException"/> marked transient, a
/// timeout or a socket error) with exponential backoff and full jitter. Every target operation is idempotent, so
/// repeating one is safe; a listing is retried only until it has produced its first item. The inner target's
/// capabilities are forwarded (see <see cref="DelegatingTarget"/>); a staged object's commit, which cannot be
/// repeated once it has started, is not retried.
/// </summary>
public sealed class RetryingTarget : DelegatingTarget
{
    private readonly RetryOptions _options;
    private readonly TimeProvider _time;

    /// <summary>Wraps <paramref name="inner"/>; when <paramref name="ownsInner"/> is true, disposing this disposes it.</summary>
    public RetryingTarget(IBackupTarget inner, RetryOptions? options = null, TimeProvider? timeProvider = null, bool ownsInner = false) : base(inner, ownsInner)
    {
        _options = options ?? new RetryOptions();
        _options.Validate();
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Whether <paramref name="exception"/> is worth another attempt.</summary>
    public static bool IsTransient(Exception exception) => exception switch
    {
        BackupObjectNotFoundException => false,
        BackupTargetException target => target.IsTransient,
        TimeoutException or SocketException => true,
        _ => exception.InnerException is { } inner && IsTransient(inner),
    };

    /// <inheritdoc />
    public override Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default) =>
        RunAsync(async ct => { await Inner.PutAsync(key, content, ct).ConfigureAwait(false); return true; }, cancellationToken);

    /// <inheritdoc />
    public override ValueTask<int> ReadAsync(string key, long offset, Memory<byte> destination, CancellationToken cancellationToken = default) =>
        new(RunAsync(ct => Inner.ReadAsync(key, offset, destination, ct).AsTask(), cancellationToken));

    /// <inheritdoc />
    public override Task DeleteAsync(string key, CancellationToken cancellationToken = default) =>
        RunAsync(async ct => { await Inner.DeleteAsync(key, ct).ConfigureAwait(false); return true; }, cancellationToken);

    /// <inheritdoc />
    public override Task<BackupObjectInfo?> StatAsync(string key, CancellationToken cancellationToken = default) =>
        RunAsync(ct => Inner.StatAsync(key, ct), cancellationToken);

    /// <inheritdoc />
    protected override Task ConfirmRetentionLockAsync(IRetentionLockingTarget locking, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(locking);
        return RunAsync(async ct => { await locking.ConfirmRetentionLockAsync(ct).ConfigureAwait(false); return true; }, cancellationToken);
    }

    /// <inheritdoc />
    protected override Task<RetentionExtension> ExtendRetentionAsync(IRetentionLockingTarget locking, string key, DateTimeOffset retainUntil, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(locking);
        return RunAsync(ct => locking.ExtendRetentionAsync(key, retainUntil, ct), cancellationToken);
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<BackupObjectInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            var enumerator = Inner.ListAsync(prefix, cancellationToken).GetAsyncEnumerator(cancellationToken);
            bool hasFirst;
            try
            {
                hasFirst = await enumerator.MoveNextAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (attempt < _options.MaxAttempts && (IsTransient(ex) || IsClientTimeout(ex, cancellationToken)))
            {
                await enumerator.DisposeAsync().ConfigureAwait(false);
                await Task.Delay(DelayFor(attempt), _time, cancellationToken).ConfigureAwait(false);
                continue;
            }
            catch (OperationCanceledException ex) when (IsClientTimeout(ex, cancellationToken))
            {
                await enumerator.DisposeAsync().ConfigureAwait(false);
                throw TimedOut(ex);
            }

            await using (enumerator.ConfigureAwait(false))
            {
                if (!hasFirst)
                {
                    yield break;
                }

                yield return enumerator.Current;
                while (await enumerator.MoveNextAsync().ConfigureAwait(false))
                {
                    yield return enumerator.Current;
                }
            }

            yield break;
        }
    }

    private async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> operation, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await operation(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (attempt < _options.MaxAttempts && (IsTransient(ex) || IsClientTimeout(ex, cancellationToken)) && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(DelayFor(attempt), _time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException ex) when (IsClientTimeout(ex, cancellationToken))
            {
                throw TimedOut(ex);
            }
        }
    }

    /// <summary>
    /// A cancellation the caller did not ask for: a client library's own timeout (an HTTP client's, an SDK's). Retried
    /// like a network failure, and never passed on as a cancellation, which a caller would take for its own stop.
    /// </summary>
    private static bool IsClientTimeout(Exception exception, CancellationToken cancellationToken) =>
        exception is OperationCanceledException && !cancellationToken.IsCancellationRequested;

    private BackupTargetException TimedOut(OperationCanceledException exception) =>
        new($"{Inner.Description} did not answer in time ({exception.Message}); check the connection and run the command again.", exception) { IsTransient = true };

    private TimeSpan DelayFor(int attempt)
    {
        var ceiling = Math.Min(_options.MaxDelay.TotalMilliseconds, _options.BaseDelay.TotalMilliseconds * Math.Pow(2, attempt - 1));
        return TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * ceiling);
    }
}
