using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Backup.Core.Storage;

namespace Backup.Testing;

/// <summary>A target that keeps objects in memory: for tests, samples and short-lived scratch repositories.</summary>
public sealed class InMemoryTarget : IBackupTarget
{
    private readonly ConcurrentDictionary<string, (byte[] Data, DateTimeOffset Time)> _objects = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    /// <summary>Creates an empty in-memory target.</summary>
    public InMemoryTarget(TimeProvider? timeProvider = null) => _time = timeProvider ?? TimeProvider.System;

    /// <inheritdoc />
    public string Description => "in-memory target";

    /// <summary>The number of objects stored.</summary>
    public int Count => _objects.Count;

    /// <inheritdoc />
    public Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        BackupKeys.Validate(key);
        cancellationToken.ThrowIfCancellationRequested();
        _objects[key] = (content.ToArray(), _time.GetUtcNow());
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<int> ReadAsync(string key, long offset, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        BackupKeys.Validate(key);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (!_objects.TryGetValue(key, out var value))
        {
            return ValueTask.FromException<int>(new BackupObjectNotFoundException(key, Description));
        }

        if (offset >= value.Data.Length)
        {
            return ValueTask.FromResult(0);
        }

        var available = value.Data.AsSpan((int)offset);
        var read = Math.Min(available.Length, destination.Length);
        available[..read].CopyTo(destination.Span);
        return ValueTask.FromResult(read);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<BackupObjectInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        BackupKeys.ValidatePrefix(prefix);
        foreach (var pair in _objects)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (pair.Key.StartsWith(prefix, StringComparison.Ordinal))
            {
                yield return new BackupObjectInfo { Key = pair.Key, Length = pair.Value.Data.Length, LastModified = pair.Value.Time };
            }
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        BackupKeys.Validate(key);
        _objects.TryRemove(key, out _);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<BackupObjectInfo?> StatAsync(string key, CancellationToken cancellationToken = default)
    {
        BackupKeys.Validate(key);
        return Task.FromResult(_objects.TryGetValue(key, out var value) ? new BackupObjectInfo { Key = key, Length = value.Data.Length, LastModified = value.Time } : null);
    }
}
