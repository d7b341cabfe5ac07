using System.Runtime.CompilerServices;
using Backup.Core.Storage;

namespace Backup.Testing;

/// <summary>
/// A decorator that makes every call wait a fixed time before it goes to the inner target, as each request to a remote
/// object store waits a round trip: for benchmarks and tests of how an operation behaves over a slow link, with a local
/// directory or memory underneath. It does not offer the inner target's staging (<see cref="IStagingTarget"/>), so
/// the repository treats it as the remote store it stands for. Calls wait in parallel, as requests in flight do.
/// </summary>
public sealed class LatencyTarget : DelegatingTarget
{
    private readonly TimeSpan _latency;

    /// <summary>Wraps <paramref name="inner"/>, adding <paramref name="latency"/> to every call; when <paramref name="ownsInner"/> is true, disposing this disposes it.</summary>
    public LatencyTarget(IBackupTarget inner, TimeSpan latency, bool ownsInner = false) : base(inner, ownsInner)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(latency, TimeSpan.Zero);
        _latency = latency;
    }

    /// <inheritdoc />
    public override string Description => $"{Inner.Description} (+{_latency.TotalMilliseconds:0} ms a request)";

    /// <inheritdoc />
    public override async Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        await WaitAsync(cancellationToken).ConfigureAwait(false);
        await Inner.PutAsync(key, content, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override async ValueTask<int> ReadAsync(string key, long offset, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        await WaitAsync(cancellationToken).ConfigureAwait(false);
        return await Inner.ReadAsync(key, offset, destination, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<BackupObjectInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await WaitAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var info in Inner.ListAsync(prefix, cancellationToken).ConfigureAwait(false))
        {
            yield return info;
        }
    }

    /// <inheritdoc />
    public override async Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        await WaitAsync(cancellationToken).ConfigureAwait(false);
        await Inner.DeleteAsync(key, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override async Task<BackupObjectInfo?> StatAsync(string key, CancellationToken cancellationToken = default)
    {
        await WaitAsync(cancellationToken).ConfigureAwait(false);
        return await Inner.StatAsync(key, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override T? GetCapability<T>() where T : class =>
        typeof(T) == typeof(IStagingTarget) ? null : base.GetCapability<T>();

    private Task WaitAsync(CancellationToken cancellationToken) =>
        _latency == TimeSpan.Zero ? Task.CompletedTask : Task.Delay(_latency, cancellationToken);
}
