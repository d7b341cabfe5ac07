using System.Runtime.CompilerServices;

namespace Backup.Core.Storage;

/// <summary>
/// The reads every caller needs, built once on <see cref="IBackupTarget.ReadAsync"/> so that no target writes its
/// own range checks: a range read whole or refused, and a whole object read up to a limit.
/// </summary>
public static class BackupTargetExtensions
{
    // Most whole objects (keys, locks, snapshots, the config) are far smaller: one request reads them, no size asked.
    private const int FirstReadLength = 64 * 1024;

    /// <summary>Reads exactly <c>destination.Length</c> bytes of an object starting at <paramref name="offset"/>.</summary>
    /// <param name="target">The target to read.</param>
    /// <param name="key">The object's key.</param>
    /// <param name="offset">Where in the object to start, 0 or more.</param>
    /// <param name="destination">Where the bytes go; filled completely or the read fails.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <exception cref="BackupObjectNotFoundException">No object has that key.</exception>
    /// <exception cref="BackupTargetException">The range lies outside the object (it starts past the end or the object ends before it does).</exception>
    public static async Task ReadExactlyAsync(this IBackupTarget target, string key, long offset, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (destination.IsEmpty)
        {
            // No storage can be asked for zero bytes; the (empty) range must still lie inside an object that exists.
            var info = await target.StatAsync(key, cancellationToken).ConfigureAwait(false) ?? throw new BackupObjectNotFoundException(key, target.Description);
            if (offset > info.Length)
            {
                throw OutOfRange(target, key, offset, 0, info.Length);
            }

            return;
        }

        var read = await target.ReadAsync(key, offset, destination, cancellationToken).ConfigureAwait(false);
        if (read != destination.Length)
        {
            throw OutOfRange(target, key, offset, destination.Length, offset + read);
        }
    }

    /// <summary>Reads a whole object that may hold at most <paramref name="maxLength"/> bytes, never holding more than that.</summary>
    /// <remarks>
    /// Storage decides how large an object is, and objects are authenticated only once read, so every read of a whole
    /// object names the most its kind can hold: hostile or damaged storage then cannot make the reader allocate
    /// gigabytes. A small object is read with one request; a larger one is then measured, refused when over the limit,
    /// and its rest read straight into the array returned (nothing is read twice).
    /// </remarks>
    /// <param name="target">The target to read.</param>
    /// <param name="key">The object's key.</param>
    /// <param name="maxLength">The most bytes an object of its kind may hold.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <exception cref="BackupObjectNotFoundException">No object has that key.</exception>
    /// <exception cref="BackupObjectTooLargeException">The object holds more than <paramref name="maxLength"/> bytes.</exception>
    /// <exception cref="BackupTargetException">The object changed while it was read, or storage reported a size it does not hold.</exception>
    public static async Task<byte[]> ReadAllAsync(this IBackupTarget target, string key, long maxLength, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        BackupObjectTooLargeException.ValidateLimit(maxLength);

        // One byte past the limit tells an object of exactly the limit from a larger one.
        var first = GC.AllocateUninitializedArray<byte>((int)Math.Min(maxLength + 1, FirstReadLength));
        var read = await target.ReadAsync(key, 0, first, cancellationToken).ConfigureAwait(false);
        if (read < first.Length)
        {
            return first.AsSpan(0, read).ToArray();
        }

        BackupObjectTooLargeException.ThrowIfOver(key, target.Description, read, maxLength);
        var info = await target.StatAsync(key, cancellationToken).ConfigureAwait(false) ?? throw Changed(target, key);
        BackupObjectTooLargeException.ThrowIfOver(key, target.Description, info.Length, maxLength);
        if (info.Length == read)
        {
            return first;
        }

        if (info.Length < read)
        {
            // More bytes were read than storage says the object holds: it was replaced, or storage misreports sizes.
            throw Changed(target, key);
        }

        var whole = GC.AllocateUninitializedArray<byte>((int)info.Length);
        first.CopyTo(whole, 0);
        var rest = await target.ReadAsync(key, read, whole.AsMemory(read), cancellationToken).ConfigureAwait(false);
        return rest == whole.Length - read ? whole : throw Changed(target, key);
    }

    /// <summary>
    /// Lists what is under <paramref name="prefix"/>, as every repository reader must: storage that lists a key
    /// outside the prefix asked for (hostile, or a server that ignores the prefix) cannot be trusted with any decision
    /// taken from that listing (prune deletes what a listing of damaged index objects names), so it is refused; a key no
    /// writer of this library makes and nothing can address (a '..' segment, a backslash) is left out, so that one
    /// planted by a client that may only append cannot stop maintenance.
    /// </summary>
    /// <exception cref="BackupTargetException">Storage listed a key outside <paramref name="prefix"/>.</exception>
    internal static async IAsyncEnumerable<BackupObjectInfo> ListWithinAsync(this IBackupTarget target, string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var info in target.ListAsync(prefix, cancellationToken).ConfigureAwait(false))
        {
            if (info.Key is null || !info.Key.StartsWith(prefix, StringComparison.Ordinal))
            {
                throw new BackupTargetException($"{target.Description} listed '{BackupKeys.Printable(info.Key)}' when asked for what is under '{prefix}': its listings cannot be trusted, so nothing was decided from this one. Check the storage server (does it honour the listing's prefix?) and who can answer in its place.");
            }

            if (IsAddressable(info.Key))
            {
                yield return info;
            }
        }
    }

    private static bool IsAddressable(string key)
    {
        try
        {
            BackupKeys.Validate(key);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Reads exactly <paramref name="length"/> bytes at <paramref name="offset"/> into a new array: for small reads (a pack's trailer and header) that keep what they read.</summary>
    internal static async Task<byte[]> ReadBytesAsync(this IBackupTarget target, string key, long offset, int length, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var bytes = GC.AllocateUninitializedArray<byte>(length);
        await target.ReadExactlyAsync(key, offset, bytes, cancellationToken).ConfigureAwait(false);
        return bytes;
    }

    private static BackupTargetException OutOfRange(IBackupTarget target, string key, long offset, int length, long available) =>
        new($"Range {offset}+{length} lies outside '{key}' ({available} bytes or fewer) in {target.Description}.");

    private static BackupTargetException Changed(IBackupTarget target, string key) =>
        new($"'{key}' in {target.Description} changed while it was read (or its size is misreported).") { IsTransient = true };
}
