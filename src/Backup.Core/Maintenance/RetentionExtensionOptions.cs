using Backup.Core.Retention;

namespace Backup.Core.Maintenance;

/// <summary>How <see cref="MaintenanceService.ExtendRetentionAsync"/> runs. Validated when built.</summary>
public sealed record RetentionExtensionOptions
{
    private readonly int _parallelism = 8;
    private readonly RetentionPolicy? _policy;

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

    /// <summary>
    /// The retention policy the repository's <c>forget</c> applies (<see cref="RetentionService.ApplyAsync"/>), or null
    /// to extend every snapshot. With a policy, only the snapshots it keeps today, and the packs they reach, are
    /// extended; the snapshots it would forget, and the packs only they use, keep the lock they have and are left to
    /// lapse, so that forget and prune can delete them once it ends. Without one, a repository whose snapshots are
    /// forgotten never frees anything: every run locks them again.
    /// </summary>
    /// <exception cref="ArgumentException">The policy is invalid or has no rule (it would keep no snapshot).</exception>
    public RetentionPolicy? Policy
    {
        get => _policy;
        init
        {
            value?.Validate();
            _policy = value;
        }
    }
}
