using System.Globalization;
using System.Text;
using Backup.Core.Content;
using Backup.Core.Repository;

namespace Backup.Core.Restore;

/// <summary>
/// Where a sparse file's data lies: the runs of its chunks that hold data (<see cref="SparseRuns"/>), as (offset,
/// length) regions. The holes are the rest, the same a restore leaves unwritten.
/// </summary>
internal sealed class SparseMap
{
    private SparseMap(List<(long Offset, long Length)> regions, List<BlobId> dataChunks, List<(int Start, int Length)[]> dataRuns, long dataBytes, long size)
    {
        Size = size;
        Regions = regions;
        DataChunks = dataChunks;
        DataRuns = dataRuns;
        DataBytes = dataBytes;
    }

    /// <summary>The data regions in order; a hole at the end is marked by a last region of length 0 at the file's size.</summary>
    public IReadOnlyList<(long Offset, long Length)> Regions { get; }

    /// <summary>The chunks that hold the regions' bytes, in order.</summary>
    public IReadOnlyList<BlobId> DataChunks { get; }

    /// <summary>For each of <see cref="DataChunks"/>, its runs that hold data (start and length in the chunk).</summary>
    public IReadOnlyList<(int Start, int Length)[]> DataRuns { get; }

    /// <summary>The bytes of all chunks, holes included: the file's size.</summary>
    public long Size { get; }

    /// <summary>The bytes of all regions.</summary>
    public long DataBytes { get; }

    /// <summary>
    /// Reads each distinct chunk of <paramref name="content"/> once (the zero chunks of a large hole are usually one)
    /// to find the regions; null when there is no hole, so the file is better written whole.
    /// </summary>
    /// <exception cref="RepositoryCorruptException">A chunk is missing or damaged.</exception>
    public static async Task<SparseMap?> FindAsync(ContentReader reader, IReadOnlyList<BlobId> content, CancellationToken cancellationToken)
    {
        var distinct = content.Distinct().ToList();
        var facts = new Dictionary<BlobId, (int Length, (int Start, int End)[] Extents)>(distinct.Count);
        await reader.CopyToAsync(distinct, (chunk, _) =>
        {
            facts[distinct[facts.Count]] = (chunk.Length, SparseRuns.Extents(chunk.Span));
            return ValueTask.CompletedTask;
        }, cancellationToken).ConfigureAwait(false);

        // The runs depend on where each chunk lies among the file's blocks, known once every length before it is.
        var placed = new List<(BlobId Id, int Length, (int Start, int Length)[] Runs)>(content.Count);
        long offset = 0;
        foreach (var id in content)
        {
            var (length, extents) = facts[id];
            placed.Add((id, length, SparseRuns.Runs(extents, length, offset)));
            offset += length;
        }

        if (placed.All(chunk => chunk.Runs is [(0, var whole)] && whole == chunk.Length))
        {
            return null;
        }

        var regions = new List<(long Offset, long Length)>();
        var dataChunks = new List<BlobId>();
        var dataRuns = new List<(int Start, int Length)[]>();
        long at = 0, dataBytes = 0;
        foreach (var (id, length, runs) in placed)
        {
            foreach (var (start, runLength) in runs)
            {
                if (regions.Count > 0 && regions[^1].Offset + regions[^1].Length == at + start)
                {
                    regions[^1] = (regions[^1].Offset, regions[^1].Length + runLength);
                }
                else
                {
                    regions.Add((at + start, runLength));
                }

                dataBytes += runLength;
            }

            if (runs.Length > 0)
            {
                dataChunks.Add(id);
                dataRuns.Add(runs);
            }

            at += length;
        }

        if (regions.Count == 0 || regions[^1].Offset + regions[^1].Length < at)
        {
            regions.Add((at, 0));
        }

        return new SparseMap(regions, dataChunks, dataRuns, dataBytes, at);
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
