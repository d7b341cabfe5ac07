namespace Backup.Core.Verification;

/// <summary>How far a check has got.</summary>
public readonly record struct CheckProgress
{
    /// <summary>What is being checked ("index", "packs", "snapshots", "data").</summary>
    public required string Phase { get; init; }

    /// <summary>Items of the phase done.</summary>
    public required long Done { get; init; }

    /// <summary>Items of the phase in all (0 when unknown).</summary>
    public required long Total { get; init; }

    /// <summary>Pack bytes downloaded so far for reading data.</summary>
    public required long BytesRead { get; init; }
}
