namespace Backup.Core.Maintenance;

/// <summary>How prune decides what to rewrite. Validated when built.</summary>
public sealed record PruneOptions
{
    private readonly double _repackThreshold = 0.2;
    private readonly TimeSpan _unindexedGracePeriod = DefaultUnindexedGracePeriod;

    /// <summary>The default <see cref="UnindexedGracePeriod"/>: one day.</summary>
    public static readonly TimeSpan DefaultUnindexedGracePeriod = TimeSpan.FromDays(1);

    /// <summary>The longest <see cref="UnindexedGracePeriod"/> accepted: a year.</summary>
    public static readonly TimeSpan MaximumUnindexedGracePeriod = TimeSpan.FromDays(365);

    /// <summary>
    /// Rewrite a pack when at least this share of its blob bytes is unused (0 to 1; default 0.2). Lower frees more
    /// space but downloads and uploads more; 1 rewrites only packs that are entirely unused (which are deleted).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Outside 0 to 1.</exception>
    public double RepackThreshold
    {
        get => _repackThreshold;
        init
        {
            if (double.IsNaN(value) || value < 0 || value > 1)
            {
                throw new ArgumentOutOfRangeException(nameof(RepackThreshold), value, "The repack threshold is a share between 0 and 1.");
            }

            _repackThreshold = value;
        }
    }

    /// <summary>Also combine packs smaller than half the repository's pack size (when there are at least two).</summary>
    public bool RepackSmall { get; init; }

    /// <summary>
    /// Packs that no index lists (and torn packs whose header does not decode) are left alone until their storage
    /// modification time is at least this old (default one day; zero deletes them at once). A backup whose lock
    /// lapsed (a suspended laptop, a paused VM) may still be uploading them and write their index later. A pack whose
    /// storage reports no modification time, or one in the future, counts as new.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative or longer than <see cref="MaximumUnindexedGracePeriod"/>.</exception>
    public TimeSpan UnindexedGracePeriod
    {
        get => _unindexedGracePeriod;
        init
        {
            if (value < TimeSpan.Zero || value > MaximumUnindexedGracePeriod)
            {
                throw new ArgumentOutOfRangeException(nameof(UnindexedGracePeriod), value, "The grace period for unindexed packs is between zero and 365 days.");
            }

            _unindexedGracePeriod = value;
        }
    }

    /// <summary>Work out and report what would be done, change nothing.</summary>
    public bool DryRun { get; init; }
}
