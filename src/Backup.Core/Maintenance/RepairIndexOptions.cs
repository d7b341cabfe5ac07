namespace Backup.Core.Maintenance;

/// <summary>How index repair treats packs.</summary>
public sealed record RepairIndexOptions
{
    /// <summary>
    /// Also download every pack and verify every blob; packs with damaged blobs are rewritten without them (so a
    /// following snapshot repair drops the files that needed them). Without it only headers are read.
    /// </summary>
    public bool ReadData { get; init; }
}
