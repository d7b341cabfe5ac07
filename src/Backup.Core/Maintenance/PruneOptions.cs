namespace Backup.Core.Maintenance;

/// <summary>How prune decides what to rewrite. Validated when built.</summary>
public sealed record PruneOptions
{
    private readonly double _repackThreshold = 0.2;

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

    /// <summary>Work out and report what would be done, change nothing.</summary>
    public bool DryRun { get; init; }
}
