namespace Backup.Core.Storage;

/// <summary>An object being written by <see cref="IStagingTarget.BeginObjectAsync"/>; disposing it uncommitted discards it.</summary>
public interface IStagedObject : IAsyncDisposable
{
    /// <summary>The bytes appended so far.</summary>
    long Length { get; }

    /// <summary>Appends <paramref name="data"/>.</summary>
    ValueTask AppendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default);

    /// <summary>Puts what was appended under <paramref name="key"/>, with the same atomicity as <see cref="IBackupTarget.PutAsync"/>. Call once.</summary>
    Task CommitAsync(string key, CancellationToken cancellationToken = default);
}
