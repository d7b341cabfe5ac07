namespace Backup.Core.Sources;

/// <summary>What a <see cref="ICountableSource"/> counted.</summary>
/// <param name="Files">The regular files.</param>
/// <param name="Bytes">Their content bytes.</param>
internal sealed record SourceTotals(long Files, long Bytes);
