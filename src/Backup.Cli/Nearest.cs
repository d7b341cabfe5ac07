namespace Backup.Cli;

/// <summary>The name a mistyped word most likely meant: a few edits away, or one it begins.</summary>
internal static class Nearest
{
    /// <summary>The candidate nearest to <paramref name="typed"/> (a few edits away, or one it is the start of), or null.</summary>
    public static string? Of(string typed, IEnumerable<string> candidates)
    {
        var best = (Name: (string?)null, Distance: Math.Max(2, typed.Length / 3) + 1);
        foreach (var candidate in candidates)
        {
            var distance = EditDistance(typed.ToLowerInvariant(), candidate);
            if (distance < best.Distance || (candidate.StartsWith(typed, StringComparison.OrdinalIgnoreCase) && best.Name is null))
            {
                best = (candidate, Math.Min(distance, best.Distance));
            }
        }

        return best.Name;
    }

    /// <summary>
    /// " Did you mean 'files'?" for the one <paramref name="unknown"/> name a <paramref name="known"/> one is near
    /// (" Did you mean 'files' for 'filez', 'db' for 'dbb'?" for several), or an empty string when none is.
    /// </summary>
    public static string Suggestion(IReadOnlyList<string> unknown, IEnumerable<string> known)
    {
        var candidates = known.ToList();
        var near = unknown.Select(typed => (Typed: typed, Nearest: Of(typed, candidates))).Where(pair => pair.Nearest is not null).ToList();
        return near.Count == 0 ? string.Empty
            : unknown.Count == 1 ? $" Did you mean '{near[0].Nearest}'?"
            : $" Did you mean {string.Join(", ", near.Select(pair => $"'{pair.Nearest}' for '{pair.Typed}'"))}?";
    }

    /// <summary>Levenshtein distance: insertions, deletions and substitutions.</summary>
    private static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1], previous[j]) + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
