using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace Backup.Core.Storage;

/// <summary>
/// Retries calls that failed for a transient reason (a <see cref="BackupTargetException"/> marked transient, a
/// timeout or a socket error) with exponential backoff and full jitter. Every target operation is idempotent, so
/// repeating one is safe; a listing is retried only until it has produced its first item.
/// </summary>
public sealed class RetryingTarget : DelegatingTarget
{
    private readonly RetryOptions _options;
    private readonly TimeProvider _time;

    /// <summary>Wraps <paramref name="inner"/>.</summary>
    public RetryingTarget(IBackupTarget inner, RetryOptions? options = null, TimeProvider? timeProvider = null) : base(inner)
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
    public override Task<byte[]> GetAsync(string key, CancellationToken cancellationToken = default) =>
        RunAsync(ct => Inner.GetAsync(key, ct), cancellationToken);

    /// <inheritdoc />
    public override Task<byte[]> GetAsync(string key, long maxLength, CancellationToken cancellationToken = default) =>
        RunAsync(ct => Inner.GetAsync(key, maxLength, ct), cancellationToken);

    /// <inheritdoc />
    public override Task<byte[]> GetRangeAsync(string key, long offset, int length, CancellationToken cancellationToken = default) =>
        RunAsync(ct => Inner.GetRangeAsync(key, offset, length, ct), cancellationToken);

    /// <inheritdoc />
    public override Task ReadRangeAsync(string key, long offset, Memory<byte> destination, CancellationToken cancellationToken = default) =>
        RunAsync(async ct => { await Inner.ReadRangeAsync(key, offset, destination, ct).ConfigureAwait(false); return true; }, cancellationToken);

    /// <inheritdoc />
    public override Task DeleteAsync(string key, CancellationToken cancellationToken = default) =>
        RunAsync(async ct => { await Inner.DeleteAsync(key, ct).ConfigureAwait(false); return true; }, cancellationToken);

    /// <inheritdoc />
    public override Task<BackupObjectInfo?> StatAsync(string key, CancellationToken cancellationToken = default) =>
        RunAsync(ct => Inner.StatAsync(key, ct), cancellationToken);

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
            catch (Exception ex) when (attempt < _options.MaxAttempts && IsTransient(ex))
            {
                await enumerator.DisposeAsync().ConfigureAwait(false);
                await Task.Delay(DelayFor(attempt), _time, cancellationToken).ConfigureAwait(false);
                continue;
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
            catch (Exception ex) when (attempt < _options.MaxAttempts && IsTransient(ex) && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(DelayFor(attempt), _time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private TimeSpan DelayFor(int attempt)
    {
        var ceiling = Math.Min(_options.MaxDelay.TotalMilliseconds, _options.BaseDelay.TotalMilliseconds * Math.Pow(2, attempt - 1));
        return TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * ceiling);
    }
}
