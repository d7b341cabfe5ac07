using System.Buffers.Binary;
using Backup.Core.Transforms;

namespace Backup.Core.Repository.Blobs;

/// <summary>
/// An index object: which blobs live in which packs, so deduplication and restore never read packs to find
/// them. Plaintext: "BKIX", version 1, the IDs of index objects it supersedes, then per pack its ID and blobs.
/// </summary>
internal sealed class IndexFile
{
    /// <summary>The object ID an index object is encoded under.</summary>
    internal static readonly byte[] ObjectId = "backup-sdk index v1"u8.ToArray();
    private const int EntrySize = 1 + BlobId.Size + 12;

    /// <summary>Index objects this one replaces (they may be deleted once this one is stored).</summary>
    public List<BlobId> Supersedes { get; } = [];

    /// <summary>The packs and their blobs.</summary>
    public Dictionary<BlobId, List<PackHeaderEntry>> Packs { get; } = [];

    /// <summary>The number of blobs listed.</summary>
    public int BlobCount => Packs.Values.Sum(p => p.Count);

    /// <summary>Encodes the index into a stored object.</summary>
    public byte[] Encode(TransformChain chain)
    {
        var size = 4 + 1 + 4 + Supersedes.Count * BlobId.Size + 4 + Packs.Sum(p => BlobId.Size + 4 + p.Value.Count * EntrySize);
        var plain = new byte[size];
        var span = plain.AsSpan();
        "BKIX"u8.CopyTo(span);
        span[4] = 1;
        var position = 5;
        BinaryPrimitives.WriteInt32LittleEndian(span[position..], Supersedes.Count);
        position += 4;
        foreach (var id in Supersedes)
        {
            id.WriteTo(span[position..]);
            position += BlobId.Size;
        }

        BinaryPrimitives.WriteInt32LittleEndian(span[position..], Packs.Count);
        position += 4;
        foreach (var (pack, entries) in Packs)
        {
            pack.WriteTo(span[position..]);
            BinaryPrimitives.WriteInt32LittleEndian(span[(position + BlobId.Size)..], entries.Count);
            position += BlobId.Size + 4;
            foreach (var entry in entries)
            {
                span[position] = (byte)entry.Type;
                entry.Id.WriteTo(span[(position + 1)..]);
                BinaryPrimitives.WriteUInt32LittleEndian(span[(position + 33)..], entry.Offset);
                BinaryPrimitives.WriteUInt32LittleEndian(span[(position + 37)..], entry.Length);
                BinaryPrimitives.WriteUInt32LittleEndian(span[(position + 41)..], entry.RawLength);
                position += EntrySize;
            }
        }

        return chain.Encode(plain, ObjectId);
    }

    /// <summary>Decodes a stored index object.</summary>
    /// <exception cref="InvalidDataException">The object is altered, damaged or not an index.</exception>
    public static IndexFile Decode(ReadOnlySpan<byte> stored, TransformChain chain)
    {
        var plain = chain.Decode(stored, ObjectId, maxDecodedLength: 1 << 30);
        var span = plain.AsSpan();
        if (span.Length < 13 || !span[..4].SequenceEqual("BKIX"u8) || span[4] != 1)
        {
            throw new InvalidDataException("The object is not a version 1 index.");
        }

        var index = new IndexFile();
        var position = 5;
        var superseded = ReadCount(span, ref position, BlobId.Size);
        for (var i = 0; i < superseded; i++)
        {
            index.Supersedes.Add(new BlobId(span[position..]));
            position += BlobId.Size;
        }

        var packs = ReadCount(span, ref position, BlobId.Size + 4);
        for (var p = 0; p < packs; p++)
        {
            Need(span, position, BlobId.Size + 4);
            var pack = new BlobId(span[position..]);
            position += BlobId.Size;
            var count = ReadCount(span, ref position, EntrySize);
            var entries = new List<PackHeaderEntry>(count);
            for (var i = 0; i < count; i++)
            {
                if ((BlobType)span[position] is not (BlobType.Data or BlobType.Tree))
                {
                    throw new InvalidDataException($"The index lists a blob of unknown type {span[position]}.");
                }

                var storedLength = BinaryPrimitives.ReadUInt32LittleEndian(span[(position + 37)..]);
                var rawLength = BinaryPrimitives.ReadUInt32LittleEndian(span[(position + 41)..]);

                // No blob decodes to more than 256 MiB (the in-memory indexes cannot even record it), nor takes much more
                // stored: refused here, the index is damaged like any other, not a failure of whatever loads or reads it.
                if (rawLength > PackFormat.MaxRawLength)
                {
                    throw new InvalidDataException($"The index lists a blob that decodes to {rawLength:N0} bytes, more than any blob (256 MiB).");
                }

                if (storedLength > PackFormat.MaxStoredLength)
                {
                    throw new InvalidDataException($"The index lists a blob stored in {storedLength:N0} bytes, more than any blob takes (272 MiB).");
                }

                entries.Add(new PackHeaderEntry(
                    new BlobId(span[(position + 1)..]),
                    (BlobType)span[position],
                    BinaryPrimitives.ReadUInt32LittleEndian(span[(position + 33)..]),
                    storedLength,
                    rawLength));
                position += EntrySize;
            }

            index.Packs[pack] = entries;
        }

        if (position != span.Length)
        {
            throw new InvalidDataException("The index has trailing bytes.");
        }

        return index;
    }

    private static int ReadCount(ReadOnlySpan<byte> span, ref int position, int itemSize)
    {
        Need(span, position, 4);
        var count = BinaryPrimitives.ReadInt32LittleEndian(span[position..]);
        position += 4;
        if (count < 0 || (long)count * itemSize > span.Length - position)
        {
            throw new InvalidDataException("The index is truncated or its counts are inconsistent.");
        }

        return count;
    }

    private static void Need(ReadOnlySpan<byte> span, int position, int bytes)
    {
        if (position + bytes > span.Length)
        {
            throw new InvalidDataException("The index is truncated.");
        }
    }
}
