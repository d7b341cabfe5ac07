using System.Globalization;
using Backup.Core.Repository;

namespace Backup.Core.Verification;

/// <summary>
/// Which packs a check downloads and verifies: a group "n/m" (packs whose ID's first byte modulo m is n − 1, as
/// restic does), a fraction ("0.2" or "10%") or a size ("500M", "2G"). Fractions and sizes pick a different,
/// rotating window every day, so repeated daily runs cover every pack without any stored state.
/// </summary>
public sealed record ReadDataSubset
{
    private ReadDataSubset() { }

    /// <summary>For "n/m": the group, 1-based.</summary>
    public int Group { get; private init; }

    /// <summary>For "n/m": the number of groups.</summary>
    public int Groups { get; private init; }

    /// <summary>For a fraction or percentage: the share of packs (0 to 1].</summary>
    public double Fraction { get; private init; }

    /// <summary>For a size: the bytes to read.</summary>
    public long Bytes { get; private init; }

    /// <summary>Parses "n/m", "0.2", "10%", "500M", "2G", "1T", "64K" or a plain byte count.</summary>
    /// <exception cref="FormatException">The text is none of these.</exception>
    public static ReadDataSubset Parse(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        var s = text.Trim();
        var slash = s.IndexOf('/', StringComparison.Ordinal);
        if (slash > 0)
        {
            if (int.TryParse(s[..slash], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && int.TryParse(s[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var m) && m is >= 1 and <= 256 && n >= 1 && n <= m)
            {
                return new ReadDataSubset { Group = n, Groups = m };
            }

            throw new FormatException($"'{text}' is not a valid group: give n/m with 1 <= n <= m <= 256.");
        }

        if (s.EndsWith('%'))
        {
            if (double.TryParse(s[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var percent) && percent > 0 && percent <= 100)
            {
                return new ReadDataSubset { Fraction = percent / 100 };
            }

            throw new FormatException($"'{text}' is not a percentage between 0 (exclusive) and 100.");
        }

        if (s.Contains('.', StringComparison.Ordinal))
        {
            if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var fraction) && fraction > 0 && fraction <= 1)
            {
                return new ReadDataSubset { Fraction = fraction };
            }

            throw new FormatException($"'{text}' is not a fraction between 0 (exclusive) and 1.");
        }

        var multiplier = char.ToUpperInvariant(s[^1]) switch
        {
            'K' => 1L << 10,
            'M' => 1L << 20,
            'G' => 1L << 30,
            'T' => 1L << 40,
            _ => 1L,
        };
        var digits = multiplier == 1 ? s : s[..^1];
        if (long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count > 0 && count <= long.MaxValue / multiplier)
        {
            return new ReadDataSubset { Bytes = count * multiplier };
        }

        throw new FormatException($"'{text}' is not a read-data subset: give n/m, a fraction (0.2), a percentage (10%) or a size (500M, 2G).");
    }

    /// <summary>
    /// Chooses packs. For a fraction or size, packs are sorted by ID and a window is taken starting at
    /// (day number × packs per window) modulo the pack count, wrapping around: consecutive days take
    /// consecutive windows, so ⌈1 / fraction⌉ daily runs read every pack.
    /// </summary>
    /// <param name="packs">Every pack and its size.</param>
    /// <param name="today">The date the window is derived from.</param>
    public IReadOnlyList<BlobId> Select(IReadOnlyDictionary<BlobId, long> packs, DateOnly today)
    {
        ArgumentNullException.ThrowIfNull(packs);
        var sorted = packs.Keys.Order().ToList();
        if (Groups > 0)
        {
            Span<byte> id = stackalloc byte[BlobId.Size];
            var chosen = new List<BlobId>();
            foreach (var pack in sorted)
            {
                pack.WriteTo(id);
                if (id[0] % Groups == Group - 1)
                {
                    chosen.Add(pack);
                }
            }

            return chosen;
        }

        if (sorted.Count == 0)
        {
            return [];
        }

        int perWindow;
        if (Fraction > 0)
        {
            perWindow = Math.Clamp((int)Math.Ceiling(sorted.Count * Fraction), 1, sorted.Count);
        }
        else
        {
            // A size picks at least as many packs as an average-sized window holds, so windows still tile the
            // ring day after day even when pack sizes vary.
            var average = Math.Max(1, packs.Values.Sum() / sorted.Count);
            perWindow = (int)Math.Clamp((Bytes + average - 1) / average, 1, sorted.Count);
        }

        var start = (int)((long)today.DayNumber * perWindow % sorted.Count);
        var result = new List<BlobId>();
        long bytes = 0;
        for (var i = 0; i < sorted.Count; i++)
        {
            var pack = sorted[(start + i) % sorted.Count];
            var enough = Fraction > 0 ? result.Count >= perWindow : result.Count >= perWindow && bytes >= Bytes;
            if (enough)
            {
                break;
            }

            result.Add(pack);
            bytes += packs[pack];
        }

        return result;
    }

    /// <inheritdoc />
    public override string ToString() =>
        Groups > 0 ? $"{Group}/{Groups}" : Fraction > 0 ? Fraction.ToString("0.###", CultureInfo.InvariantCulture) : Bytes.ToString(CultureInfo.InvariantCulture) + " bytes";
}
