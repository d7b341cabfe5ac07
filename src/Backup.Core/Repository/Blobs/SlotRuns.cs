namespace Backup.Core.Repository.Blobs;

/// <summary>Measures the open-addressing tables of <see cref="ChunkIndex"/> and the maintenance catalog.</summary>
internal static class SlotRuns
{
    /// <summary>
    /// The longest run of occupied slots (0 is empty), wrapping at the end: the most probes a lookup can take. With a
    /// hash that spreads IDs it stays in the tens at three-quarters load; IDs piled onto one slot make it their count.
    /// </summary>
    public static int Longest(int[] slots)
    {
        int longest = 0, run = 0, leading = -1;
        foreach (var slot in slots)
        {
            if (slot != 0)
            {
                run++;
                continue;
            }

            leading = leading < 0 ? run : leading;
            longest = Math.Max(longest, run);
            run = 0;
        }

        // The run at the end continues into the run at the start.
        return leading < 0 ? slots.Length : Math.Max(longest, run + leading);
    }
}
