namespace Backup.Core.Storage;

/// <summary>
/// Object-store-shaped blob storage that a repository lives on: whole objects put atomically, read whole or by
/// range, listed by prefix, deleted and inspected. Nothing else is assumed (no rename, no append, no locks), so
/// local disks, SFTP servers, S3-compatible and Azure Blob storage all fit behind it.
/// </summary>
/// <remarks>
/// Keys are relative, '/'-separated paths such as <c>data/ab/abcdef…</c>. Implementations must make a put
/// atomic: a reader sees either no object or the whole object, never a part of one.
/// <para>
/// Ownership: whoever creates a target disposes it (when it is <see cref="IDisposable"/> or
/// <see cref="IAsyncDisposable"/>), after everything using it is done. A <c>BackupRepository</c>
/// never disposes the target it was opened on; a decorator (<see cref="DelegatingTarget"/>) disposes its inner
/// target only when it was created with <c>ownsInner: true</c>.
/// </para>
/// </remarks>
public interface IBackupTarget
{
    /// <summary>A short description of where the objects live, for messages and logs (never contains secrets).</summary>
    string Description { get; }

    /// <summary>Stores <paramref name="content"/> under <paramref name="key"/>, replacing any object of that name atomically.</summary>
    /// <param name="key">The object's key.</param>
    /// <param name="content">The bytes to store; read to its end.</param>
    /// <param name="cancellationToken">Cancels the upload; nothing partial becomes visible.</param>
    Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads bytes of an object starting at <paramref name="offset"/> into <paramref name="destination"/>: the one read
    /// every other read (a whole object up to a limit, a pack's header, a run of blobs) is built on.
    /// </summary>
    /// <remarks>
    /// Fills <paramref name="destination"/> unless the object ends first, and returns how many bytes it read: fewer
    /// than asked only when the object is shorter, 0 when <paramref name="offset"/> is at or past its end. An
    /// implementation reads straight into the caller's memory (no intermediate copy) and never asks storage for more
    /// than <c>destination.Length</c> bytes, so a hostile object cannot make it allocate. With an empty
    /// <paramref name="destination"/> it may return 0 without asking storage anything. Callers that need the range
    /// whole use <see cref="BackupTargetExtensions.ReadExactlyAsync"/>, and whole objects are read with
    /// <see cref="BackupTargetExtensions.ReadAllAsync"/>, which bounds what storage can make the reader hold.
    /// </remarks>
    /// <param name="key">The object's key.</param>
    /// <param name="offset">Where in the object to start, 0 or more.</param>
    /// <param name="destination">Where the bytes go.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The bytes read into the start of <paramref name="destination"/>.</returns>
    /// <exception cref="BackupObjectNotFoundException">No object has that key.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="offset"/> is negative.</exception>
    ValueTask<int> ReadAsync(string key, long offset, Memory<byte> destination, CancellationToken cancellationToken = default);

    /// <summary>Lists the objects whose keys start with <paramref name="prefix"/>, in no particular order.</summary>
    IAsyncEnumerable<BackupObjectInfo> ListAsync(string prefix, CancellationToken cancellationToken = default);

    /// <summary>Deletes an object. Deleting an object that does not exist is not an error.</summary>
    Task DeleteAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Returns an object's size and time, or <see langword="null"/> when it does not exist.</summary>
    Task<BackupObjectInfo?> StatAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>
    /// Returns the part of this target that offers the optional capability <typeparamref name="T"/> (such as
    /// <see cref="IStagingTarget"/>), or <see langword="null"/> when it has none. Ask this instead of testing the
    /// target's type: a decorator (<see cref="DelegatingTarget"/>) is not itself a staging target but forwards its
    /// inner target's capabilities, routed through itself.
    /// </summary>
    /// <typeparam name="T">The capability's interface.</typeparam>
    T? GetCapability<T>() where T : class => this as T;
}
