using System.Buffers.Binary;
using Backup.Core.Transforms;

namespace Backup.Core.Repository.Blobs;

/// <summary>
/// The pack layout: stored blobs back to back, then the encoded header that lists them, then an 8-byte trailer
/// (header length, little-endian u32, and the magic "BKP1"). A pack describes itself, so indexes can always be
/// rebuilt from packs alone.
/// </summary>
internal static class PackFormat
{
    /// <summary>The trailer's size.</summary>
    public const int TrailerSize = 8;

    /// <summary>The most a blob may decode to (256 MiB − 1): the in-memory indexes cannot record more.</summary>
    public const uint MaxRawLength = 0x0FFF_FFFF;

    /// <summary>
    /// The most a blob may take stored: its largest plaintext plus 16 MiB for the encoding's framing and any
    /// transform's growth (the built-in compressions store a blob as it is when compressing would not shrink it). The
    /// writer refuses to store more, and a listing that claims more is damaged, whatever the pack's size.
    /// </summary>
    public const uint MaxStoredLength = MaxRawLength + (16u << 20);

    /// <summary>Bytes per blob in the header's plaintext.</summary>
    public const int HeaderEntrySize = 1 + BlobId.Size + 4 + 4;

    /// <summary>The object ID a pack header is encoded under.</summary>
    internal static readonly byte[] HeaderObjectId = "backup-sdk pack header v1"u8.ToArray();
    private static ReadOnlySpan<byte> TrailerMagic => "BKP1"u8;
    private static ReadOnlySpan<byte> HeaderMagic => "BKPH"u8;

    /// <summary>Encodes the header (plaintext: "BKPH", count, then type, ID, stored and raw length per blob) and the trailer.</summary>
    public static byte[] EncodeHeaderAndTrailer(IReadOnlyList<PackHeaderEntry> entries, TransformChain chain)
    {
        var plain = new byte[8 + entries.Count * HeaderEntrySize];
        HeaderMagic.CopyTo(plain);
        BinaryPrimitives.WriteInt32LittleEndian(plain.AsSpan(4), entries.Count);
        var position = 8;
        foreach (var entry in entries)
        {
            plain[position] = (byte)entry.Type;
            entry.Id.WriteTo(plain.AsSpan(position + 1));
            BinaryPrimitives.WriteUInt32LittleEndian(plain.AsSpan(position + 33), entry.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(plain.AsSpan(position + 37), entry.RawLength);
            position += HeaderEntrySize;
        }

        var encoded = chain.Encode(plain, HeaderObjectId);
        var result = new byte[encoded.Length + TrailerSize];
        encoded.CopyTo(result, 0);
        BinaryPrimitives.WriteInt32LittleEndian(result.AsSpan(encoded.Length), encoded.Length);
        TrailerMagic.CopyTo(result.AsSpan(encoded.Length + 4));
        return result;
    }

    /// <summary>Refuses a pack too short to hold a trailer, or larger than any pack (<see cref="ObjectSizeLimits.Pack"/>), before it is read.</summary>
    /// <exception cref="InvalidDataException">The pack is truncated, or its size is that of no pack.</exception>
    internal static void CheckPackLength(string key, long packLength)
    {
        if (packLength < TrailerSize)
        {
            throw new InvalidDataException($"Pack '{key}' is only {packLength} bytes.");
        }

        if (packLength > ObjectSizeLimits.Pack)
        {
            throw new InvalidDataException($"Pack '{key}' is {packLength:N0} bytes, more than the {ObjectSizeLimits.Pack:N0} a pack can hold, so it was not read: the storage is damaged or was altered.");
        }
    }

    /// <summary>Reads the header length from a pack's last 8 bytes.</summary>
    /// <exception cref="InvalidDataException">The trailer is not valid.</exception>
    public static int ReadHeaderLength(ReadOnlySpan<byte> trailer, long packLength)
    {
        if (trailer.Length != TrailerSize || !trailer[4..].SequenceEqual(TrailerMagic))
        {
            throw new InvalidDataException("The pack has no valid trailer; it is truncated or not a pack.");
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(trailer);
        if (length <= 0 || length > packLength - TrailerSize || length > ObjectSizeLimits.PackHeader)
        {
            throw new InvalidDataException($"The pack's header length {length} does not fit its size {packLength}.");
        }

        return length;
    }

    /// <summary>Decodes a header and checks every blob lies inside the pack before the header.</summary>
    /// <exception cref="InvalidDataException">The header is altered, damaged or inconsistent.</exception>
    public static List<PackHeaderEntry> DecodeHeader(ReadOnlySpan<byte> encodedHeader, long packLength, TransformChain chain)
    {
        var plain = chain.Decode(encodedHeader, HeaderObjectId, maxDecodedLength: 512 * 1024 * 1024);
        if (plain.Length < 8 || !plain.AsSpan(0, 4).SequenceEqual(HeaderMagic))
        {
            throw new InvalidDataException("The pack header has no valid magic.");
        }

        var count = BinaryPrimitives.ReadInt32LittleEndian(plain.AsSpan(4));
        if (count < 0 || plain.Length != 8 + (long)count * HeaderEntrySize)
        {
            throw new InvalidDataException("The pack header's size does not match its blob count.");
        }

        var entries = new List<PackHeaderEntry>(count);
        var limit = packLength - TrailerSize - encodedHeader.Length;
        long offset = 0;
        for (var i = 0; i < count; i++)
        {
            var position = 8 + i * HeaderEntrySize;
            var type = (BlobType)plain[position];
            var id = new BlobId(plain.AsSpan(position + 1));
            var length = BinaryPrimitives.ReadUInt32LittleEndian(plain.AsSpan(position + 33));
            var raw = BinaryPrimitives.ReadUInt32LittleEndian(plain.AsSpan(position + 37));
            if (type is not (BlobType.Data or BlobType.Tree) || offset + length > limit || length > MaxStoredLength || raw > MaxRawLength)
            {
                throw new InvalidDataException($"Pack header entry {i} is invalid (type {type}, {length} bytes at {offset} decoding to {raw}, blobs end at {limit}).");
            }

            entries.Add(new PackHeaderEntry(id, type, (uint)offset, length, raw));
            offset += length;
        }

        return entries;
    }
}
