namespace Backup.Core.Maintenance;

/// <summary>How far prune or repair has got.</summary>
/// <param name="Phase">What is being done ("scan", "mark", "repack", "index", "delete").</param>
/// <param name="Done">Items of the phase done.</param>
/// <param name="Total">Items of the phase in all (0 when unknown).</param>
public readonly record struct MaintenanceProgress(string Phase, long Done, long Total);
