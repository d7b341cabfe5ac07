namespace Backup.Core.Storage;

/// <summary>
/// Object-store-shaped blob storage that a repository lives on: whole objects put atomically, read whole or by
/// range, listed by prefix, deleted and inspected. Nothing else is assumed (no rename, no append, no locks), so
/// local disks, SFTP servers, S3-compatible and Azure Blob storage all fit behind it.
/// </summary>
/// <remarks>
/// Keys are relative, '/'-separated paths such as <c>data/ab/abcdef…</c>. Implementations must make a put
/// atomic: a reader sees either no object or the whole object, never a part of one.
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

    /// <summary>Reads a whole object.</summary>
    /// <exception cref="BackupObjectNotFoundException">No object has that key.</exception>
    Task<byte[]> GetAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Reads a whole object that may hold at most <paramref name="maxLength"/> bytes, never holding more than that.</summary>
    /// <remarks>
    /// Storage decides how large an object is, and objects are authenticated only once read, so every read of a whole
    /// object names the most its kind can hold: hostile or damaged storage then cannot make the reader allocate
    /// gigabytes. The default asks for the size first and reads exactly that many bytes (a second round trip); a target
    /// that can stream a read overrides it with one request that stops once the limit is passed.
    /// </remarks>
    /// <exception cref="BackupObjectNotFoundException">No object has that key.</exception>
    /// <exception cref="BackupObjectTooLargeException">The object holds more than <paramref name="maxLength"/> bytes.</exception>
    async Task<byte[]> GetAsync(string key, long maxLength, CancellationToken cancellationToken = default)
    {
        BackupObjectTooLargeException.ValidateLimit(maxLength);
        var info = await StatAsync(key, cancellationToken).ConfigureAwait(false) ?? throw new BackupObjectNotFoundException(key, Description);
        BackupObjectTooLargeException.ThrowIfOver(key, Description, info.Length, maxLength);
        return info.Length == 0 ? [] : await GetRangeAsync(key, 0, (int)info.Length, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads <paramref name="length"/> bytes of an object starting at <paramref name="offset"/>.</summary>
    /// <exception cref="BackupObjectNotFoundException">No object has that key.</exception>
    /// <exception cref="BackupTargetException">The range lies outside the object.</exception>
    Task<byte[]> GetRangeAsync(string key, long offset, int length, CancellationToken cancellationToken = default);

    /// <summary>Reads <c>destination.Length</c> bytes of an object starting at <paramref name="offset"/> into <paramref name="destination"/>.</summary>
    /// <remarks>
    /// Lets a hot read path (restore, checking data) reuse its buffers instead of allocating one per read. The default
    /// reads with <see cref="GetRangeAsync"/> and copies; a target that can read into the caller's memory overrides it.
    /// </remarks>
    /// <exception cref="BackupObjectNotFoundException">No object has that key.</exception>
    /// <exception cref="BackupTargetException">The range lies outside the object.</exception>
    async Task ReadRangeAsync(string key, long offset, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        var bytes = await GetRangeAsync(key, offset, destination.Length, cancellationToken).ConfigureAwait(false);
        if (bytes.Length != destination.Length)
        {
            throw new BackupTargetException($"'{key}' in {Description} returned {bytes.Length} of the {destination.Length} bytes asked for at offset {offset}.");
        }

        bytes.CopyTo(destination);
    }

    /// <summary>Lists the objects whose keys start with <paramref name="prefix"/>, in no particular order.</summary>
    IAsyncEnumerable<BackupObjectInfo> ListAsync(string prefix, CancellationToken cancellationToken = default);

    /// <summary>Deletes an object. Deleting an object that does not exist is not an error.</summary>
    Task DeleteAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Returns an object's size and time, or <see langword="null"/> when it does not exist.</summary>
    Task<BackupObjectInfo?> StatAsync(string key, CancellationToken cancellationToken = default);
}
