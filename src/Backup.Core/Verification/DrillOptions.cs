namespace Backup.Core.Verification;

/// <summary>Which snapshot a restore drill restores, and where. Validated when built.</summary>
public sealed record DrillOptions
{
    private readonly string? _snapshot;
    private readonly TimeSpan? _randomWithin;

    /// <summary>A snapshot ID, a unique prefix of one, or "latest" (the default when neither this nor <see cref="RandomWithin"/> is set).</summary>
    /// <exception cref="ArgumentException">Empty, or set together with <see cref="RandomWithin"/>.</exception>
    public string? Snapshot
    {
        get => _snapshot;
        init
        {
            if (value is not null && string.IsNullOrWhiteSpace(value))
            {
                throw new ArgumentException("The snapshot must be an ID, an ID prefix or 'latest'.", nameof(Snapshot));
            }

            if (value is not null && _randomWithin is not null)
            {
                throw new ArgumentException($"Give either {nameof(Snapshot)} or {nameof(RandomWithin)}, not both.", nameof(Snapshot));
            }

            _snapshot = value;
        }
    }

    /// <summary>Pick a random snapshot taken within this long before now (a fair sample over time, as auditors ask).</summary>
    /// <exception cref="ArgumentException">Not positive, or set together with <see cref="Snapshot"/>.</exception>
    public TimeSpan? RandomWithin
    {
        get => _randomWithin;
        init
        {
            if (value is { } window && window <= TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(nameof(RandomWithin), "The window must be positive.");
            }

            if (value is not null && _snapshot is not null)
            {
                throw new ArgumentException($"Give either {nameof(Snapshot)} or {nameof(RandomWithin)}, not both.", nameof(RandomWithin));
            }

            _randomWithin = value;
        }
    }

    /// <summary>The directory under which a fresh scratch directory is created (and deleted afterwards); the temp directory when null.</summary>
    public string? ScratchDirectory { get; init; }
}
