namespace Backup.Core.Verification;

/// <summary>How far a check has got.</summary>
/// <param name="Phase">What is being checked ("index", "packs", "snapshots", "data").</param>
/// <param name="Done">Items of the phase done.</param>
/// <param name="Total">Items of the phase in all (0 when unknown).</param>
/// <param name="BytesRead">Pack bytes downloaded so far for reading data.</param>
public readonly record struct CheckProgress(string Phase, long Done, long Total, long BytesRead);
