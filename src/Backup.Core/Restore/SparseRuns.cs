namespace Backup.Core.Restore;

/// <summary>
/// The parts of a sparse file's chunk to write: runs of the file's 4 KiB blocks that hold anything but zeros. The rest
/// stays a hole, in a restore as in a dump: a chunk is often larger than a hole and holds data beside it, and a run of
/// zeros has no chunk boundary at all.
/// </summary>
internal static class SparseRuns
{
    /// <summary>The file system block holes are made of (the smallest a hole can be on the usual Linux file systems).</summary>
    public const int Block = 4096;

    /// <summary>The unit a chunk is scanned in: a block's runs can then be found for any place of the chunk in the file.</summary>
    private const int Sector = 512;

    /// <summary>The runs of <paramref name="chunk"/>, which starts at <paramref name="offset"/> of the file, that hold data (start and length in the chunk).</summary>
    public static (int Start, int Length)[] Find(ReadOnlySpan<byte> chunk, long offset) => Runs(Extents(chunk), chunk.Length, offset);

    /// <summary>Where <paramref name="chunk"/> holds anything but zeros, in whole sectors of the chunk (start and end).</summary>
    public static (int Start, int End)[] Extents(ReadOnlySpan<byte> chunk)
    {
        var extents = new List<(int Start, int End)>();
        for (var at = 0; at < chunk.Length; at += Sector)
        {
            var end = Math.Min(chunk.Length, at + Sector);
            if (!chunk[at..end].ContainsAnyExcept((byte)0))
            {
                continue;
            }

            if (extents.Count > 0 && extents[^1].End == at)
            {
                extents[^1] = (extents[^1].Start, end);
            }
            else
            {
                extents.Add((at, end));
            }
        }

        return [.. extents];
    }

    /// <summary>The runs to write of a chunk of <paramref name="length"/> bytes with these <paramref name="extents"/>, placed at <paramref name="offset"/>: every file block they touch.</summary>
    public static (int Start, int Length)[] Runs((int Start, int End)[] extents, int length, long offset)
    {
        var runs = new List<(int Start, int Length)>(extents.Length);
        foreach (var (start, end) in extents)
        {
            var first = (int)Math.Max(0, ((offset + start) / Block * Block) - offset);
            var last = (int)Math.Min(length, ((offset + end + Block - 1) / Block * Block) - offset);
            if (runs.Count > 0 && runs[^1].Start + runs[^1].Length >= first)
            {
                runs[^1] = (runs[^1].Start, Math.Max(runs[^1].Start + runs[^1].Length, last) - runs[^1].Start);
            }
            else
            {
                runs.Add((first, last - first));
            }
        }

        return [.. runs];
    }
}
