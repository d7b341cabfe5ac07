using System.Globalization;
using System.Text;
using Backup.Core.Content;
using Backup.Core.Repository;

namespace Backup.Core.Restore;

/// <summary>
/// Where a sparse file's data lies: its chunks that are not all zeros, as (offset, length) regions. The holes are the
/// all-zero chunks, the same ones a restore leaves unwritten.
/// </summary>
internal sealed class SparseMap
{
    private SparseMap(List<(long Offset, long Length)> regions, List<BlobId> dataChunks, long dataBytes, long size)
    {
        Size = size;
        Regions = regions;
        DataChunks = dataChunks;
        DataBytes = dataBytes;
    }

    /// <summary>The data regions in order; a hole at the end is marked by a last region of length 0 at the file's size.</summary>
    public IReadOnlyList<(long Offset, long Length)> Regions { get; }

    /// <summary>The chunks that hold the regions' bytes, in order.</summary>
    public IReadOnlyList<BlobId> DataChunks { get; }

    /// <summary>The bytes of all chunks, holes included: the file's size.</summary>
    public long Size { get; }

    /// <summary>The bytes of all regions.</summary>
    public long DataBytes { get; }

    /// <summary>
    /// Reads each distinct chunk of <paramref name="content"/> once (the zero chunks of a large hole are usually one)
    /// to find the regions; null when no chunk is all zeros, so the file is better written whole.
    /// </summary>
    /// <exception cref="RepositoryCorruptException">A chunk is missing or damaged.</exception>
    public static async Task<SparseMap?> FindAsync(ContentReader reader, IReadOnlyList<BlobId> content, CancellationToken cancellationToken)
    {
        var distinct = content.Distinct().ToList();
        var facts = new Dictionary<BlobId, (int Length, bool Zero)>(distinct.Count);
        await reader.CopyToAsync(distinct, (chunk, _) =>
        {
            facts[distinct[facts.Count]] = (chunk.Length, !chunk.Span.ContainsAnyExcept((byte)0));
            return ValueTask.CompletedTask;
        }, cancellationToken).ConfigureAwait(false);

        if (!facts.Values.Any(fact => fact.Zero))
        {
            return null;
        }

        var regions = new List<(long Offset, long Length)>();
        var dataChunks = new List<BlobId>();
        long offset = 0, dataBytes = 0;
        foreach (var id in content)
        {
            var (length, zero) = facts[id];
            if (!zero)
            {
                if (regions.Count > 0 && regions[^1].Offset + regions[^1].Length == offset)
                {
                    regions[^1] = (regions[^1].Offset, regions[^1].Length + length);
                }
                else
                {
                    regions.Add((offset, length));
                }

                dataChunks.Add(id);
                dataBytes += length;
            }

            offset += length;
        }

        if (regions.Count == 0 || regions[^1].Offset + regions[^1].Length < offset)
        {
            regions.Add((offset, 0));
        }

        return new SparseMap(regions, dataChunks, dataBytes, offset);
    }

    /// <summary>The map as GNU sparse 1.0 writes it ahead of the data: the number of regions, then each offset and length, one decimal number a line.</summary>
    public byte[] Encode()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{Regions.Count}\n");
        foreach (var (offset, length) in Regions)
        {
            text.Append(CultureInfo.InvariantCulture, $"{offset}\n{length}\n");
        }

        return Encoding.ASCII.GetBytes(text.ToString());
    }
}
