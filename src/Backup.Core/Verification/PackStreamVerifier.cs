using System.Security.Cryptography;
using Backup.Core.Buffers;
using Backup.Core.Repository;
using Backup.Core.Repository.Blobs;
using Backup.Core.Storage;

namespace Backup.Core.Verification;

/// <summary>
/// Verifies one pack by reading it front to back through a bounded window: every byte goes through SHA-256 (the
/// pack's name) as it arrives, and each listed blob is decoded and checked against its keyed ID from the window.
/// Memory is the window (at least <see cref="WindowSize"/>, or the largest listed blob) and one decode buffer,
/// whatever the pack's size, where reading the pack whole would hold all of it (and leave it to the GC).
/// </summary>
internal static class PackStreamVerifier
{
    /// <summary>The bytes read from storage per request (fewer at the pack's end).</summary>
    internal const int WindowSize = 4 * 1024 * 1024;

    /// <summary>
    /// Reads <paramref name="pack"/> (<paramref name="packLength"/> bytes as listed) and decodes <paramref name="entries"/>.
    /// Damaged blobs are reported through <paramref name="blobDamaged"/> (entry, reason); the result says how many
    /// blobs decoded, how many bytes were read and whether the content matches the pack's name.
    /// </summary>
    /// <exception cref="BackupTargetException">The pack cannot be read (missing, or storage failed).</exception>
    public static Task<PackStreamOutcome> VerifyAsync(BlobStore blobs, BlobId pack, long packLength, IReadOnlyList<PackHeaderEntry> entries, Action<PackHeaderEntry, string> blobDamaged, CancellationToken cancellationToken) =>
        VerifyAsync(blobs, pack, packLength, entries, blobDamaged, WindowSize, cancellationToken);

    /// <summary>As the other overload, reading at least <paramref name="windowSize"/> bytes per request (tests use small windows).</summary>
    internal static async Task<PackStreamOutcome> VerifyAsync(BlobStore blobs, BlobId pack, long packLength, IReadOnlyList<PackHeaderEntry> entries, Action<PackHeaderEntry, string> blobDamaged, int windowSize, CancellationToken cancellationToken)
    {
        var key = RepositoryLayout.PackKey(pack);
        var sorted = entries.Count < 2 ? entries : [.. entries.OrderBy(e => e.Offset).ThenBy(e => e.Length)];
        long largest = 0;
        foreach (var entry in sorted)
        {
            if ((long)entry.Offset + entry.Length <= packLength)
            {
                largest = Math.Max(largest, entry.Length);
            }
        }

        var windowLength = (int)Math.Max(1, Math.Min(packLength, Math.Max(windowSize, largest)));
        using var window = new PooledBuffer(windowLength, blobs.BufferPool);
        using var decoded = new PooledBufferWriter(256 * 1024, blobs.BufferPool);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long windowStart = 0, readPosition = 0;
        var filled = 0;
        var ended = false;
        var decodedCount = 0;

        // Reads on at the end of the window; the invariant windowStart + filled == readPosition always holds.
        async Task ReadMoreAsync()
        {
            var want = (int)Math.Min(windowLength - filled, packLength - readPosition);
            if (want <= 0)
            {
                ended = true;
                return;
            }

            var read = await blobs.Target.ReadAsync(key, readPosition, window.Memory.Slice(filled, want), cancellationToken).ConfigureAwait(false);
            if (read <= 0)
            {
                ended = true;
                return;
            }

            hash.AppendData(window.Span.Slice(filled, read));
            filled += read;
            readPosition += read;
        }

        foreach (var entry in sorted)
        {
            var end = (long)entry.Offset + entry.Length;
            if (end > packLength)
            {
                blobDamaged(entry, $"Blob {entry.Id.ToShortString()} lies beyond the pack's end.");
                continue;
            }

            if (entry.Offset < windowStart)
            {
                // Overlaps a blob before it (only a damaged or forged listing does that): read it on its own.
                if (await DecodeSeparatelyAsync(blobs, pack, entry, decoded, blobDamaged, cancellationToken).ConfigureAwait(false))
                {
                    decodedCount++;
                }

                continue;
            }

            while (!ended && readPosition < end)
            {
                // Keep only what this blob needs; bytes between blobs pass through the hash and are dropped.
                var drop = (int)Math.Min(entry.Offset - windowStart, filled);
                if (drop > 0)
                {
                    window.Span.Slice(drop, filled - drop).CopyTo(window.Span);
                    filled -= drop;
                    windowStart += drop;
                }

                await ReadMoreAsync().ConfigureAwait(false);
            }

            if (readPosition < end)
            {
                blobDamaged(entry, $"Blob {entry.Id.ToShortString()} lies beyond the pack's end.");
                continue;
            }

            try
            {
                blobs.DecodeBlob(entry.Id, window.Span.Slice((int)(entry.Offset - windowStart), (int)entry.Length), entry.RawLength, decoded);
                decodedCount++;
            }
            catch (RepositoryCorruptException ex)
            {
                blobDamaged(entry, ex.Message);
            }
        }

        // The rest (the header and trailer, and anything between) is hashed too: the name covers every byte.
        while (!ended)
        {
            filled = 0;
            windowStart = readPosition;
            await ReadMoreAsync().ConfigureAwait(false);
        }

        var matches = readPosition == packLength && new BlobId(hash.GetHashAndReset()) == pack;
        return new PackStreamOutcome(decodedCount, readPosition, matches);
    }

    private static async Task<bool> DecodeSeparatelyAsync(BlobStore blobs, BlobId pack, PackHeaderEntry entry, PooledBufferWriter decoded, Action<PackHeaderEntry, string> blobDamaged, CancellationToken cancellationToken)
    {
        try
        {
            using var stored = await blobs.ReadStoredAsync(entry.Id, new BlobLocation(pack, entry.Type, entry.Offset, entry.Length, entry.RawLength), (int)entry.Length, cancellationToken).ConfigureAwait(false);
            blobs.DecodeBlob(entry.Id, stored.Span, entry.RawLength, decoded);
            return true;
        }
        catch (Exception ex) when (ex is RepositoryCorruptException or BackupTargetException)
        {
            blobDamaged(entry, ex.Message);
            return false;
        }
    }
}

/// <summary>What streaming one pack found: blobs that decoded, bytes read, and whether the bytes match the pack's name.</summary>
internal readonly record struct PackStreamOutcome(int BlobsDecoded, long BytesRead, bool MatchesName);
