namespace Backup.Core.Maintenance;

/// <summary>How far prune or repair has got.</summary>
public readonly record struct MaintenanceProgress
{
    /// <summary>What is being done ("scan", "mark", "repack", "index", "delete").</summary>
    public required string Phase { get; init; }

    /// <summary>Items of the phase done.</summary>
    public required long Done { get; init; }

    /// <summary>Items of the phase in all (0 when unknown).</summary>
    public required long Total { get; init; }
}
