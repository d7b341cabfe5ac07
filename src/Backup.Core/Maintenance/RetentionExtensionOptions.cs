namespace Backup.Core.Maintenance;

/// <summary>How <see cref="MaintenanceService.ExtendRetentionAsync"/> runs. Validated when built.</summary>
public sealed record RetentionExtensionOptions
{
    private readonly int _parallelism = 8;

    /// <summary>
    /// Requests in flight at once (1 to 64; default 8): each object costs one small request, so latency, not
    /// bandwidth, decides how long a run takes.
    /// </summary>
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
