namespace Backup.Core.Verification;

/// <summary>What a check covers beyond the structure (which is always checked). Validated when built.</summary>
public sealed record CheckOptions
{
    private readonly int _parallelism = 2;
    private readonly string? _readDataSubset;

    /// <summary>Download every pack once and decrypt and re-hash every blob in it.</summary>
    public bool ReadData { get; init; }

    /// <summary>
    /// Download and verify only a subset of packs: "n/m", a fraction ("0.2"), a percentage ("10%") or a size
    /// ("500M", "2G"); see <see cref="Verification.ReadDataSubset"/>. Fractions and sizes rotate daily. Ignored when
    /// <see cref="ReadData"/> is set.
    /// </summary>
    /// <exception cref="FormatException">The text is not a valid subset (thrown when the options are built).</exception>
    public string? ReadDataSubset
    {
        get => _readDataSubset;
        init
        {
            Subset = value is null ? null : Verification.ReadDataSubset.Parse(value);
            _readDataSubset = value;
        }
    }

    /// <summary>The parsed <see cref="ReadDataSubset"/>, or null.</summary>
    public ReadDataSubset? Subset { get; private init; }

    /// <summary>
    /// Holds a shared lock on the repository during the check, so that no prune deletes what it reads (which would
    /// show as missing data). Turn it off only for a repository that cannot be written, on read-only media, where no
    /// prune can run either.
    /// </summary>
    public bool Lock { get; init; } = true;

    /// <summary>Packs downloaded and verified at once (1 to 64; default 2).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Outside 1 to 64.</exception>
    public int Parallelism
    {
        get => _parallelism;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 64);
            _parallelism = value;
        }
    }
}
